import type { Input } from './input.js';
import { eventsFromMessage, parseEventsMessage } from '../event/from-json.js';
import { parseBoundedJson } from '../json/bounded-json.js';

/**
 * WT1's JSON API, `POST /public/events` (WT1-REFERENCE §3, docs/json-api.md): one message carrying a
 * batch of events, as JSON, gzipped JSON (`application/gzip`) or JSON with `Content-Encoding: gzip`.
 * Answered `{"accepted": n}` once every event is queued (whole or not at all).
 */
export const events: Input = {
  name: 'events',
  builtin: true,
  endpoints: [{ path: '/public/events', methods: ['POST'], pathKey: 'events' }],
  mediaTypes: ['application/json', 'application/gzip', 'application/x-gzip'],
  gzipMediaTypes: ['application/gzip', 'application/x-gzip'],
  charsets: ['utf-8', 'utf8', 'us-ascii'],
  accepts: 'the events API accepts application/json or application/gzip',
  sitesKey: '',
  accepted: { status: 200 },
  parse(request, body, context) {
    const message = parseEventsMessage(parseBoundedJson(body ?? Buffer.alloc(0), context.limits), context.limits);
    const parsed = eventsFromMessage(message, {
      now: request.now,
      clientAddress: request.clientAddress,
      userAgent: request.userAgent,
    });
    return { events: parsed, answer: { status: 200, body: { accepted: parsed.length } } };
  },
};
