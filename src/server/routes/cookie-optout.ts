import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from '../context.js';
import type { Route } from '../router.js';
import { setThirdPartyOptout, thirdPartyGlobalId } from '../third-party-cookies.js';
import { sendText } from '../respond.js';
import { Wt1Error } from '../../errors.js';

type CookieStatus = 'cookie' | 'nocookie' | 'optedout';

/**
 * Where /public/cookie/status sends the browser: the configured `optoutCallbackUrl` with
 * `status=...` added to its query (before any fragment). Nothing of the request goes into it, so
 * the endpoint cannot be used as an open redirect.
 */
export function callbackLocation(callbackUrl: string, status: CookieStatus): string {
  const hash = callbackUrl.indexOf('#');
  const base = hash === -1 ? callbackUrl : callbackUrl.slice(0, hash);
  const fragment = hash === -1 ? '' : callbackUrl.slice(hash);
  return `${base}${base.includes('?') ? '&' : '?'}status=${status}${fragment}`;
}

/**
 * /public/cookie/status, /optin and /optout: the visitor's third-party cookie opt-out (only when
 * `thirdPartyCookies=true`, else 400). optin/optout change the cookies then redirect to `status`
 * (relative, so the browser stays on the host it asked); status answers `cookie`, `nocookie` or
 * `optedout` as text, or redirects to `optoutCallbackUrl?status=...` when configured.
 */
export function cookieOptoutRoutes(ctx: AppContext): Route[] {
  if (!ctx.config.thirdPartyCookies) {
    return [
      {
        path: '/public/cookie/*',
        methods: '*',
        handler: () => {
          throw new Wt1Error('WT1_ERR_BAD_REQUEST', 'third-party cookies are off (thirdPartyCookies=false)', {
            headers: { 'Cache-Control': 'no-store' },
          });
        },
      },
    ];
  }
  const status = (req: IncomingMessage, res: ServerResponse): void => {
    const id = thirdPartyGlobalId(ctx, req, res, false);
    const state: CookieStatus = id === null ? 'nocookie' : id === '' ? 'optedout' : 'cookie';
    if (ctx.config.optoutCallbackUrl) {
      res.writeHead(302, {
        Location: callbackLocation(ctx.config.optoutCallbackUrl, state),
        'Cache-Control': 'no-store',
        'Content-Length': 0,
      });
      res.end();
      return;
    }
    sendText(res, 200, `${state}\r\n`, { 'Cache-Control': 'no-store' });
  };
  const change =
    (optout: boolean) =>
    (req: IncomingMessage, res: ServerResponse): void => {
      refuseCrossSiteSubresource(req);
      setThirdPartyOptout(ctx, req, res, optout);
      res.writeHead(302, { Location: 'status', 'Cache-Control': 'no-store', 'Content-Length': 0 });
      res.end();
    };
  const READ = ['GET', 'HEAD'];
  return [
    { path: '/public/cookie/status', methods: READ, handler: status },
    { path: '/public/cookie/optout', methods: READ, handler: change(true) },
    { path: '/public/cookie/optin', methods: READ, handler: change(false) },
    {
      path: '/public/cookie/*',
      methods: '*',
      handler: (_req, _res, route) => {
        throw new Wt1Error(
          'WT1_ERR_BAD_REQUEST',
          `unknown cookie action ${route.path.slice(0, 200)} (status, optin or optout)`,
        );
      },
    },
  ];
}

/**
 * Any site could otherwise change a visitor's choice behind their back with an `<img>` or a fetch
 * to optin/optout. A browser says where a request comes from and what it loads: a cross-site
 * request is honoured only as a top-level navigation (a link or a form on WT1-style opt-out pages,
 * `Sec-Fetch-Dest: document`). Clients that send no Sec-Fetch-* headers (old browsers, curl) pass.
 */
export function refuseCrossSiteSubresource(req: IncomingMessage): void {
  if (req.headers['sec-fetch-site'] !== 'cross-site') return;
  const dest = req.headers['sec-fetch-dest'];
  if (dest === 'document') return;
  throw new Wt1Error(
    'WT1_ERR_FORBIDDEN',
    `a cross-site ${dest === undefined ? 'subresource' : JSON.stringify(dest.slice(0, 40))} request cannot change ` +
      `the cookie opt-out; open the link as a page (top-level navigation)`,
    { headers: { 'Cache-Control': 'no-store' } },
  );
}
