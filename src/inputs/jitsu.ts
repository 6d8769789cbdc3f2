import type { Input } from './input.js';
import { bad, isObject, parseJsonBody } from './fields.js';
import { SEGMENT_TYPES, segmentEvent } from './segment-message.js';

const NAME = 'jitsu';

/**
 * Jitsu's ingest API: `POST /api/s/{type}` (browser) and `/api/s/s2s/{type}` (server to server),
 * one Segment-shaped event per request, the write key in `X-Write-Key`. Answered `{}`: Jitsu's
 * browser SDK fails on an empty body and would run any `destinations` the answer listed.
 */
export const jitsu: Input = {
  name: NAME,
  endpoints: [{ path: '/api/s/', prefix: true, methods: ['POST'] }],
  mediaTypes: ['application/json', 'text/plain', ''],
  corsHeaders: ['x-write-key'],
  sitesKey: 'writeKeys',
  accepted: { status: 200, body: {} },
  parse(request, body, context) {
    const rest = request.path.slice('/api/s/'.length);
    const type = rest.startsWith('s2s/') ? rest.slice(4) : rest;
    const kind = SEGMENT_TYPES[type];
    if (kind === undefined)
      throw bad(
        NAME,
        `the path's event type ${JSON.stringify(type.slice(0, 40))} is not one of track, page, screen, identify, ` +
          `group, alias`,
      );
    const writeKey = request.header('x-write-key') ?? null;
    context.checkSite(writeKey);
    const json = parseJsonBody(NAME, body, context.limits);
    if (!isObject(json)) throw bad(NAME, 'the body must be a JSON object');
    return { events: [segmentEvent(NAME, json, 'the event', kind, writeKey, request, context)] };
  },
};
