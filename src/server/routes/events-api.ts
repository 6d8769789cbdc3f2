import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from '../context.js';
import { clientAddressOf } from '../context.js';
import type { Route } from '../router.js';
import { corsPolicy } from '../cors.js';
import { mediaType, readBody } from '../body.js';
import { readGunzippedBody } from '../gunzip-body.js';
import type { BodyReservation } from '../body-budget.js';
import { sendJson } from '../respond.js';
import { admitWhole } from '../admission.js';
import { Wt1Error } from '../../errors.js';
import { eventsFromMessage, parseEventsMessage } from '../../event/from-json.js';
import { parseBoundedJson } from '../../json/bounded-json.js';

const JSON_TYPES = new Set(['application/json']);
const GZIP_TYPES = new Set(['application/gzip', 'application/x-gzip']);
const CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

/**
 * POST /public/events: a JSON message carrying a batch of events (WT1-REFERENCE §3), plain or
 * gzipped, with limits on every size. Each event is tracked like a pixel hit; the answer
 * `{"accepted": n}` goes out once every event is queued; when a processor queue cannot take them
 * all, none is queued and the answer is 503 WT1_ERR_OVERLOADED with Retry-After (Dispatcher.admit).
 */
export function eventsApiRoutes(ctx: AppContext): Route[] {
  const api = ctx.config.api;
  const cors = corsPolicy({
    origins: api.corsOrigins,
    methods: 'POST, OPTIONS',
    headers: 'Content-Type, Content-Encoding',
  });
  const budget = ctx.bodyBudget;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Held until the events are queued: the body, its gunzipped bytes and the parsed JSON live until then.
    const reservation = budget.reserve();
    try {
      const body = await readMessageBody(req, ctx, reservation);
      const message = parseEventsMessage(parseBoundedJson(body, api), api);
      const events = eventsFromMessage(message, {
        now: ctx.now(),
        clientAddress: clientAddressOf(ctx, req),
        userAgent: req.headers['user-agent'],
      });
      // Whole or not at all: a sender told 503 retries the message, so no event of it may be kept.
      await admitWhole(ctx, events, 'this message');
      sendJson(res, 200, { accepted: events.length }, cors.headersFor(req.headers.origin));
    } finally {
      reservation.release();
    }
  };

  return [{ path: '/public/events', methods: ['POST'], bodyLimit: api.maxBodySize, cors, handler: handle }];
}

/** The body as JSON bytes, gunzipped when sent gzipped, within the configured limits. */
async function readMessageBody(req: IncomingMessage, ctx: AppContext, reservation: BodyReservation): Promise<Buffer> {
  const api = ctx.config.api;
  const type = mediaType(req);
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  let gzipped: boolean;
  if (GZIP_TYPES.has(type)) {
    gzipped = true;
    if (encoding !== 'identity')
      throw new Wt1Error(
        'WT1_ERR_UNSUPPORTED_MEDIA_TYPE',
        `Content-Encoding ${encoding} is not supported with Content-Type ${type}`,
      );
  } else if (JSON_TYPES.has(type)) {
    const charset = charsetOf(req.headers['content-type'] ?? '');
    if (charset !== null && !CHARSETS.has(charset))
      throw new Wt1Error('WT1_ERR_UNSUPPORTED_MEDIA_TYPE', `charset ${charset} is not supported, send utf-8`);
    if (encoding === 'gzip' || encoding === 'x-gzip') gzipped = true;
    else if (encoding === 'identity') gzipped = false;
    else
      throw new Wt1Error(
        'WT1_ERR_UNSUPPORTED_MEDIA_TYPE',
        `Content-Encoding ${encoding} is not supported (send gzip or nothing)`,
      );
  } else {
    throw new Wt1Error(
      'WT1_ERR_UNSUPPORTED_MEDIA_TYPE',
      `the events API accepts application/json or application/gzip, not ` +
        `${type === '' ? 'a body without Content-Type' : type}`,
    );
  }
  const timeoutMs = api.bodyTimeout * 1000;
  if (gzipped)
    return readGunzippedBody(req, {
      maxBodySize: api.maxBodySize,
      maxDecompressedSize: api.maxDecompressedSize,
      timeoutMs,
      reservation,
    });
  return readBody(req, api.maxBodySize, timeoutMs, reservation);
}

function charsetOf(contentType: string): string | null {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match ? match[1].toLowerCase() : null;
}
