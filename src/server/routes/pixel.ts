import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from '../context.js';
import { clientAddressOf } from '../context.js';
import type { Route, RouteRequest } from '../router.js';
import { nextHitSeq, PixelHit } from '../../event/pixel-hit.js';
import { GIF_HEADERS, TRANSPARENT_GIF_TEXT } from '../gif.js';
import { mediaType, readBody } from '../body.js';
import { corsPolicy } from '../cors.js';
import { admitWhole } from '../admission.js';
import { Wt1Error } from '../../errors.js';
import type { Input } from '../../inputs/input.js';
import { pathOf } from './paths.js';

/** The GIF is public to every site (GIF_HEADERS carry `Access-Control-Allow-Origin: *`). */
const PIXEL_CORS = corsPolicy({ origins: ['*'], methods: 'GET, POST' });

/**
 * The ingest path of a `capture: 'hit'` input, the pixel (src/inputs/pixel.ts): GET /public/p.gif?...
 * and POST /public/p.gif (form body) answer the GIF at once, then enqueue the hit as captured; it is
 * parsed into an event off the request path (src/event/pixel-hit.ts). Nothing here waits for
 * storage, except with ackMode=durable: then the GIF goes once the hit is on disk, and a full queue
 * or a failed write answers 503. The route table calls `pixel` directly: no per-request work is
 * added for it being an input.
 */
export function pixelRoutes(ctx: AppContext, input: Input): Route[] {
  const maxBodySize = ctx.config.pixel.maxBodySize;
  /** Form bodies it accepts: a form post, or text/plain from navigator.sendBeacon (no CORS preflight). */
  const formTypes = new Set(input.mediaTypes);
  const durable = ctx.config.ackMode === 'durable';
  /** The hit as the request thread captures it; parsing happens on the storage thread. */
  const hitOf = (req: IncomingMessage, queryStrings: string[], globalVisitorId: string | null): PixelHit => {
    const h = req.headers;
    return new PixelHit(
      queryStrings,
      ctx.now(),
      clientAddressOf(ctx, req),
      h.referer,
      h['user-agent'],
      globalVisitorId,
      nextHitSeq(),
    );
  };
  const track = (req: IncomingMessage, res: ServerResponse, queryStrings: string[]): void | Promise<void> => {
    const globalVisitorId = ctx.globalVisitorId(req, res, queryStrings);
    if (durable) return trackDurably(res, hitOf(req, queryStrings, globalVisitorId));
    // Answered before the hit is captured: the visitor never waits for the queue.
    res.writeHead(200, GIF_HEADERS as Record<string, string | number>);
    res.end(TRANSPARENT_GIF_TEXT, 'latin1');
    ctx.dispatcher.track(hitOf(req, queryStrings, globalVisitorId));
  };

  /** ackMode=durable: the GIF only once the hit is on disk; 503 (the hit not kept) when full or failing. */
  const trackDurably = async (res: ServerResponse, hit: PixelHit): Promise<void> => {
    await admitWhole(ctx, [hit], 'this hit');
    res.writeHead(200, GIF_HEADERS as Record<string, string | number>);
    res.end(TRANSPARENT_GIF_TEXT, 'latin1');
  };

  const trackPost = async (req: IncomingMessage, res: ServerResponse, route: RouteRequest): Promise<void> => {
    const type = mediaType(req);
    if (!formTypes.has(type)) throw new Wt1Error('WT1_ERR_UNSUPPORTED_MEDIA_TYPE', `${input.accepts}, not ${type}`);
    // Counted with every other body in flight (api.maxInFlightBytes): many large form posts at once cannot take the
    // memory.
    const reservation = ctx.bodyBudget.reserve();
    try {
      const body = await readBody(req, maxBodySize, ctx.config.api.bodyTimeout * 1000, reservation);
      await track(req, res, [route.query, body.toString('utf8')]);
    } finally {
      reservation.release();
    }
  };

  const pixel = (req: IncomingMessage, res: ServerResponse, route: RouteRequest): void | Promise<void> => {
    const method = req.method;
    if (method === 'GET') return track(req, res, [route.query]);
    if (method === 'POST') return trackPost(req, res, route);
    res.writeHead(200, GIF_HEADERS as Record<string, string | number>); // HEAD
    res.end();
  };

  return input.endpoints.map((endpoint) => ({
    path: pathOf(ctx, endpoint),
    methods: endpoint.methods,
    bodyLimit: maxBodySize,
    cors: PIXEL_CORS,
    handler: pixel,
  }));
}
