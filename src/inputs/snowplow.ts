import { parseQueryString } from '../event/query-string.js';
import type { Input, InputAnswer, InputContext, InputLimits } from './input.js';
import { bad, isObject, parseJsonBody, tooLong, tooManyEvents } from './fields.js';
import { NAME } from './snowplow-json.js';
import { snowplowEvent } from './snowplow-event.js';

/** `payload_data` of any 1-0-x revision (the trackers send 1-0-4). */
const PAYLOAD_DATA = /^iglu:com\.snowplowanalytics\.snowplow\/payload_data\/jsonschema\/1-0-\d+$/;

/** The transparent 1x1 GIF a Snowplow collector answers `GET /i` with (trackers may load it as an image). */
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const GIF_ANSWER: InputAnswer = {
  status: 200,
  body: GIF,
  contentType: 'image/gif',
  headers: { 'Cache-Control': 'no-cache, no-store, must-revalidate' },
};

/**
 * Snowplow's tracker protocol as its collector takes it: `POST /com.snowplowanalytics.snowplow/tp2`
 * with a `payload_data` batch `{schema, data: [event, ...]}` (answered `200 ok`), and one event in
 * the query of `GET /i` or `/com.snowplowanalytics.snowplow/i` (answered with a 1x1 GIF). The
 * browser tracker sends cookies (`credentials: 'include'`), so CORS echoes the Origin.
 */
export const snowplow: Input = {
  name: NAME,
  endpoints: [
    { path: '/com.snowplowanalytics.snowplow/tp2', methods: ['POST'] },
    { path: '/i', methods: ['GET'] },
    { path: '/com.snowplowanalytics.snowplow/i', methods: ['GET'] },
  ],
  mediaTypes: ['application/json', 'text/plain', ''],
  credentials: true,
  corsHeaders: ['sp-anonymous'],
  sitesKey: 'appIds',
  accepted: { status: 200, body: 'ok', contentType: 'text/plain; charset=utf-8' },
  parse(request, body, context) {
    if (request.method === 'GET') {
      return {
        events: [snowplowEvent(queryFields(request.query, context.limits), '', request, context)],
        answer: GIF_ANSWER,
      };
    }
    const json = parseJsonBody(NAME, body, context.limits);
    if (!isObject(json)) throw bad(NAME, 'the body must be a JSON object {schema, data}');
    if (typeof json.schema !== 'string' || !PAYLOAD_DATA.test(json.schema))
      throw bad(NAME, `schema must be the payload_data Iglu URI, not ${JSON.stringify(json.schema)?.slice(0, 100)}`);
    if (!Array.isArray(json.data)) throw bad(NAME, 'data must be an array of events');
    const data = json.data as unknown[];
    if (data.length > context.limits.maxEvents) throw tooManyEvents(NAME, 'data', data.length, context.limits);
    return {
      events: data.map((event, i) => snowplowEvent(bodyFields(event, i, context), `data[${i}].`, request, context)),
    };
  },
};

/** A GET's event: the first value of each query param, each within `api.maxFieldLength`. */
function queryFields(query: string, limits: InputLimits): Map<string, string> {
  const fields = parseQueryString(query);
  for (const [key, value] of fields)
    if (value.length > limits.maxFieldLength) throw tooLong(NAME, key, value.length, limits);
  return fields;
}

/** A POST's event: an object of strings (payload_data says strings; numbers and booleans are taken as text). */
function bodyFields(event: unknown, i: number, context: InputContext): Map<string, string> {
  if (!isObject(event)) throw bad(NAME, `data[${i}] must be an object`);
  const fields = new Map<string, string>();
  for (const key in event) {
    if (!Object.hasOwn(event, key)) continue;
    const value = event[key];
    const where = `data[${i}].${key}`;
    if (value === null || value === undefined) continue;
    if (typeof value === 'number' ? !Number.isFinite(value) : typeof value !== 'string' && typeof value !== 'boolean')
      throw bad(NAME, `${where} must be a string`);
    const text = String(value);
    if (text.length > context.limits.maxFieldLength) throw tooLong(NAME, where, text.length, context.limits);
    fields.set(key, text);
  }
  return fields;
}
