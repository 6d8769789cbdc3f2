import type { TrackedEvent } from '../event/event.js';
import type { Input, InputContext, InputRequest } from './input.js';
import { bad, isObject, parseJsonBody, tooManyEvents } from './fields.js';
import { SEGMENT_TYPES, segmentEvent, writeKeyOf } from './segment-message.js';

const NAME = 'segment';
const PATHS = [...Object.keys(SEGMENT_TYPES), 'batch', 'b', 'm'];

/**
 * Segment's HTTP tracking API, as analytics.js, analytics-node and RudderStack's SDKs send it:
 * `POST /v1/{track,page,screen,identify,group,alias,batch}` and analytics.js's short forms
 * `/v1/{t,p,s,i,g,a,b}`; JSON sent as application/json or text/plain (no preflight). `/v1/m` is
 * analytics.js's own telemetry: answered, counted, not stored.
 */
export const segment: Input = {
  name: NAME,
  endpoints: PATHS.map((p) => ({ path: `/v1/${p}`, methods: ['POST'] as const })),
  // @rudderstack/rudder-sdk-node labels its (gzipped) JSON application/x-www-form-urlencoded (axios's default).
  mediaTypes: ['application/json', 'text/plain', '', 'application/x-www-form-urlencoded'],
  corsHeaders: ['authorization', 'anonymousid', 'sentat'],
  sitesKey: 'writeKeys',
  accepted: { status: 200, body: { success: true } },
  parse(request, body, context) {
    const name = request.path.slice(request.path.lastIndexOf('/') + 1);
    if (name === 'm') return { events: [], ignored: 1 };
    const json = parseJsonBody(NAME, body, context.limits);
    if (!isObject(json)) throw bad(NAME, 'the body must be a JSON object');
    const site = writeKeyOf(NAME, json, request, context);
    context.checkSite(site);
    if (name === 'batch' || name === 'b') return { events: segmentBatch(NAME, json, site, request, context) };
    return { events: [segmentEvent(NAME, json, 'the message', SEGMENT_TYPES[name], site, request, context)] };
  },
};

/** `{batch: [message, ...]}`, each message saying its type. */
export function segmentBatch(
  input: string,
  json: Record<string, unknown>,
  site: string | null,
  request: InputRequest,
  context: InputContext,
): TrackedEvent[] {
  const batch = json.batch;
  if (!Array.isArray(batch)) throw bad(input, batch === undefined ? 'batch is missing' : 'batch must be an array');
  if (batch.length > context.limits.maxEvents) throw tooManyEvents(input, 'batch', batch.length, context.limits);
  const events: TrackedEvent[] = new Array(batch.length);
  for (let i = 0; i < batch.length; i++)
    events[i] = segmentEvent(input, batch[i], `batch[${i}]`, null, site, request, context);
  return events;
}
