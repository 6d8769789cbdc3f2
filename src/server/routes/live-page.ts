import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '../router.js';
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
export function livePageRoutes(): Route[] {
  const assets = loadLivePageAssets();
  const serve =
    (asset: LivePageAsset) =>
    (req: IncomingMessage, res: ServerResponse): void => {
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': asset.contentType,
        'Content-Length': asset.body.length,
      });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
    };
  const page = (path: string, asset: LivePageAsset): Route => ({
    path,
    methods: ['GET', 'HEAD'],
    admin: 'page',
    handler: serve(asset),
  });
  return [
    page('/internal/', assets.html),
    page('/internal/live.html', assets.html),
    page('/internal/live-page.js', assets.script),
    page('/internal/live-page.css', assets.style),
    {
      // The page's links are relative (live, flush, live-page.js): it must be loaded from a path ending in /.
      path: '/internal',
      methods: '*',
      handler: (_req, res) => {
        res.writeHead(301, { Location: 'internal/', 'Content-Length': 0 });
        res.end();
      },
    },
  ];
}
