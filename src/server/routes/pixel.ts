import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from '../context.js';
import { clientAddressOf } from '../context.js';
import type { Router, RouteRequest } from '../router.js';
import { nextHitSeq, PixelHit } from '../../event/pixel-hit.js';
import { GIF_HEADERS, TRANSPARENT_GIF_TEXT } from '../gif.js';
import { mediaType, readBody } from '../body.js';
import { fail, sendError } from '../respond.js';
import { Wt1Error } from '../../errors.js';

/** Form bodies the pixel accepts: a form post, or text/plain from navigator.sendBeacon (no CORS preflight). */
const FORM_TYPES = new Set(['', 'application/x-www-form-urlencoded', 'text/plain']);

/**
 * GET /public/p.gif?... and POST /public/p.gif (form body): answer the GIF at once, then enqueue
 * the hit as captured; it is parsed into an event off the request path (src/event/pixel-hit.ts).
 * Nothing here waits for storage.
 */
export function registerPixel(router: Router, ctx: AppContext): void {
  const track = (req: IncomingMessage, res: ServerResponse, queryStrings: string[]): void => {
    const globalVisitorId = ctx.globalVisitorId(req, res, queryStrings);
    res.writeHead(200, GIF_HEADERS as Record<string, string | number>);
    res.end(TRANSPARENT_GIF_TEXT, 'latin1');
    const h = req.headers;
    ctx.dispatcher.track(new PixelHit(queryStrings, ctx.now(), clientAddressOf(ctx, req), h.referer, h['user-agent'], globalVisitorId, nextHitSeq()));
  };

  const pixel = (req: IncomingMessage, res: ServerResponse, route: RouteRequest): void | Promise<void> => {
    const method = req.method;
    if (method === 'GET') return track(req, res, [route.query]);
    if (method === 'POST') return trackPost(req, res, route);
    if (method === 'HEAD') {
      res.writeHead(200, GIF_HEADERS as Record<string, string | number>);
      res.end();
      return;
    }
    if (method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, POST', 'Access-Control-Max-Age': '86400' });
      res.end();
      return;
    }
    fail(res, 'WT1_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed on ${route.path}`, { Allow: 'GET, POST, HEAD, OPTIONS' });
  };

  const trackPost = async (req: IncomingMessage, res: ServerResponse, route: RouteRequest): Promise<void> => {
    const type = mediaType(req);
    if (!FORM_TYPES.has(type)) {
      req.resume();
      fail(res, 'WT1_ERR_UNSUPPORTED_MEDIA_TYPE', `the pixel accepts application/x-www-form-urlencoded or text/plain bodies, not ${type}`, { Connection: 'close' });
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, ctx.config.pixel.maxBodySize, ctx.config.api.bodyTimeout * 1000);
    } catch (error) {
      sendError(res, error instanceof Wt1Error ? error : new Wt1Error('WT1_ERR_BAD_REQUEST', String(error)), { Connection: 'close' });
      return;
    }
    track(req, res, [route.query, body.toString('utf8')]);
  };

  router.on('/public/p.gif', pixel);
}
