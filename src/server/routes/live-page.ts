import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from '../context.js';
import type { Router, RouteRequest } from '../router.js';
import { checkAdmin } from '../admin-guard.js';
import { allowReadOnly } from '../respond.js';
import { loadLivePageAssets, type LivePageAsset } from '../live-page/assets.js';

/**
 * The page may run only its own script and style, talk only to its own origin, and never be framed:
 * even a value that slipped into the page as markup could not run anything.
 */
export const LIVE_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'Content-Security-Policy': LIVE_PAGE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/**
 * The live monitoring page: /internal/ and /internal/live.html (the HTML), /internal/live-page.js
 * and /internal/live-page.css. The data comes from /internal/live and /internal/flush, which the
 * page calls with the admin token. Access to the page itself:
 * - with `adminToken`: the page's files are served to anyone, because the page must load to ask
 *   for the token; they are the same static files for everyone and hold no data and no secret.
 *   Every data call needs the token.
 * - without: loopback clients only, like the rest of /internal/.
 */
export function registerLivePage(router: Router, ctx: AppContext): void {
  const assets = loadLivePageAssets();
  const serve = (asset: LivePageAsset) => (req: IncomingMessage, res: ServerResponse, route: RouteRequest): void => {
    req.resume();
    if (!ctx.config.adminToken && !checkAdmin(ctx, req, res)) return;
    if (!allowReadOnly(req, res, route.path)) return;
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': asset.contentType, 'Content-Length': asset.body.length });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  };
  router.on('/internal/', serve(assets.html));
  router.on('/internal/live.html', serve(assets.html));
  router.on('/internal/live-page.js', serve(assets.script));
  router.on('/internal/live-page.css', serve(assets.style));
  // The page's links are relative (live, flush, live-page.js): it must be loaded from a path ending in /.
  router.on('/internal', (req, res) => {
    req.resume();
    res.writeHead(301, { Location: 'internal/', 'Content-Length': 0 });
    res.end();
  });
}
