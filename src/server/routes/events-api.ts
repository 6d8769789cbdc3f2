import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from '../context.js';
import { clientAddressOf } from '../context.js';
import type { Router, RouteRequest } from '../router.js';
import { mediaType, readBody } from '../body.js';
import { readGunzippedBody } from '../gunzip-body.js';
import { BodyBudget, type BodyReservation } from '../body-budget.js';
import { fail, sendError, sendJson } from '../respond.js';
import { Wt1Error } from '../../errors.js';
import { eventsFromMessage, parseEventsMessage } from '../../event/from-json.js';

const JSON_TYPES = new Set(['application/json']);
const GZIP_TYPES = new Set(['application/gzip', 'application/x-gzip']);
const CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

/**
 * POST /public/events: a JSON message carrying a batch of events (WT1-REFERENCE §3), plain or
 * gzipped, with limits on every size. Each event is tracked like a pixel hit; the answer
 * `{"accepted": n}` goes out once every event is queued; when a processor queue cannot take them
 * all, none is queued and the answer is 503 WT1_ERR_OVERLOADED with Retry-After (Dispatcher.admit).
 */
export function registerEventsApi(router: Router, ctx: AppContext): void {
  const api = ctx.config.api;
  const cors = corsPolicy(api.corsOrigins);
  const budget = new BodyBudget(api.maxInFlightBytes);

  const handle = async (req: IncomingMessage, res: ServerResponse, route: RouteRequest): Promise<void> => {
    const corsHeaders = cors(req.headers.origin);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...corsHeaders, ...(corsHeaders['Access-Control-Allow-Origin'] ? PREFLIGHT_HEADERS : {}), 'Content-Length': '0' });
      res.end();
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      fail(res, 'WT1_ERR_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${route.path}`, { Allow: 'POST, OPTIONS', ...corsHeaders });
      return;
    }
    // Held until the events are queued: the body, its gunzipped bytes and the parsed JSON live until then.
    const reservation = budget.reserve();
    try {
      await readAndTrack(req, res, reservation, corsHeaders);
    } finally {
      reservation.release();
    }
  };

  const readAndTrack = async (req: IncomingMessage, res: ServerResponse, reservation: BodyReservation, corsHeaders: Record<string, string>): Promise<void> => {
    let body: Buffer;
    try {
      body = await readMessageBody(req, ctx, reservation);
    } catch (error) {
      req.resume(); // a refused body is drained, not kept; the connection closes after the answer
      const refusal = asWt1Error(error);
      const retry: Record<string, string> = refusal.code === 'WT1_ERR_OVERLOADED' ? { 'Retry-After': '1' } : {};
      sendError(res, refusal, { Connection: 'close', ...retry, ...corsHeaders });
      return;
    }
    let accepted: number;
    try {
      const message = parseEventsMessage(parseJson(body), api);
      const events = eventsFromMessage(message, {
        now: ctx.now(),
        clientAddress: clientAddressOf(ctx, req),
        userAgent: req.headers['user-agent'],
      });
      // Whole or not at all: a sender told 503 retries the message, so no event of it may be kept.
      if (!ctx.dispatcher.admit(events)) {
        fail(res, 'WT1_ERR_OVERLOADED', 'a processor queue cannot take this message now (maxQueueSize or maxQueueBytes); nothing of it was queued, retry later', { 'Retry-After': '1', ...corsHeaders });
        return;
      }
      accepted = events.length;
    } catch (error) {
      sendError(res, asWt1Error(error), corsHeaders);
      return;
    }
    sendJson(res, 200, { accepted }, corsHeaders);
  };

  router.on('/public/events', handle);
}

const PREFLIGHT_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Content-Encoding',
  'Access-Control-Max-Age': '86400',
};

/**
 * The CORS headers for a request's Origin: `*` when any origin is allowed, else the origin itself
 * when it is listed (with `Vary: Origin`, so caches keep answers apart), else none (the browser
 * then refuses the answer).
 */
export function corsPolicy(origins: readonly string[]): (origin: string | undefined) => Record<string, string> {
  if (origins.includes('*')) {
    const any = { 'Access-Control-Allow-Origin': '*' };
    return () => any;
  }
  const allowed = new Set(origins.map((o) => o.toLowerCase().replace(/\/+$/, '')));
  const vary = { Vary: 'Origin' };
  return (origin) => (origin && allowed.has(origin.toLowerCase()) ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : vary);
}

/** The body as JSON bytes, gunzipped when sent gzipped, within the configured limits. */
async function readMessageBody(req: IncomingMessage, ctx: AppContext, reservation: BodyReservation): Promise<Buffer> {
  const api = ctx.config.api;
  const type = mediaType(req);
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  let gzipped: boolean;
  if (GZIP_TYPES.has(type)) {
    gzipped = true;
    if (encoding !== 'identity') throw new Wt1Error('WT1_ERR_UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${encoding} is not supported with Content-Type ${type}`);
  } else if (JSON_TYPES.has(type)) {
    const charset = charsetOf(req.headers['content-type'] ?? '');
    if (charset !== null && !CHARSETS.has(charset)) throw new Wt1Error('WT1_ERR_UNSUPPORTED_MEDIA_TYPE', `charset ${charset} is not supported, send utf-8`);
    if (encoding === 'gzip' || encoding === 'x-gzip') gzipped = true;
    else if (encoding === 'identity') gzipped = false;
    else throw new Wt1Error('WT1_ERR_UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${encoding} is not supported (send gzip or nothing)`);
  } else {
    throw new Wt1Error('WT1_ERR_UNSUPPORTED_MEDIA_TYPE', `the events API accepts application/json or application/gzip, not ${type === '' ? 'a body without Content-Type' : type}`);
  }
  const timeoutMs = api.bodyTimeout * 1000;
  if (gzipped) return readGunzippedBody(req, { maxBodySize: api.maxBodySize, maxDecompressedSize: api.maxDecompressedSize, timeoutMs, reservation });
  return readBody(req, api.maxBodySize, timeoutMs, reservation);
}

function charsetOf(contentType: string): string | null {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match ? match[1].toLowerCase() : null;
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new Wt1Error('WT1_ERR_BAD_REQUEST', 'the body is empty');
  // A UTF-8 byte order mark (some .NET and Windows clients send one) is not JSON, but harmless.
  const start = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  try {
    return JSON.parse(body.toString('utf8', start));
  } catch (error) {
    throw new Wt1Error('WT1_ERR_BAD_REQUEST', `the body is not valid JSON: ${(error as Error).message}`);
  }
}

function asWt1Error(error: unknown): Wt1Error {
  return error instanceof Wt1Error ? error : new Wt1Error('WT1_ERR_BAD_REQUEST', String(error));
}
