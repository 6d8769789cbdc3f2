import type { Input } from './input.js';
import { bad, isObject, parseJsonBody } from './fields.js';
import { segmentBatch } from './segment.js';
import { parseQueryString } from '../event/query-string.js';

const NAME = 'rudderstack';

/**
 * What RudderStack's SDKs send beyond Segment's `/v1/*` paths (which the segment input takes):
 * the browser SDK's `sendBeacon` batches, `POST /beacon/v1/batch?writeKey=…` as text/plain, and
 * the source config it asks for at load, `GET /sourceConfig/?…&writeKey=…`: a source with no
 * destinations, so the SDK loads no device-mode destination and sends everything here.
 */
export const rudderstack: Input = {
  name: NAME,
  endpoints: [
    { path: '/beacon/v1/batch', methods: ['POST'] },
    { path: '/sourceConfig', methods: ['GET'] },
    { path: '/sourceConfig/', methods: ['GET'] },
  ],
  mediaTypes: ['text/plain', 'application/json', ''],
  corsHeaders: ['authorization', 'anonymousid'],
  sitesKey: 'writeKeys',
  accepted: { status: 200, body: 'OK', contentType: 'text/plain; charset=utf-8' },
  parse(request, body, context) {
    const writeKey = parseQueryString(request.query).get('writeKey') ?? null;
    context.checkSite(writeKey);
    if (request.method === 'GET') return { events: [], answer: { status: 200, body: sourceConfig(writeKey ?? '') } };
    const json = parseJsonBody(NAME, body, context.limits);
    if (!isObject(json)) throw bad(NAME, 'the body must be a JSON object');
    return { events: segmentBatch(NAME, json, writeKey, request, context) };
  },
};

function sourceConfig(writeKey: string): object {
  return {
    isHosted: false,
    source: { id: 'wt1', name: 'wt1', writeKey, enabled: true, config: {}, workspaceId: 'wt1', destinations: [] },
  };
}
