import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from '../context.js';
import type { Router, RouteRequest } from '../router.js';
import { setThirdPartyOptout, thirdPartyGlobalId } from '../third-party-cookies.js';
import { allowReadOnly, fail, sendText } from '../respond.js';

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
export function registerCookieOptout(router: Router, ctx: AppContext): void {
  const guard = (req: IncomingMessage, res: ServerResponse, route: RouteRequest): boolean => {
    if (!ctx.config.thirdPartyCookies) {
      fail(res, 'WT1_ERR_BAD_REQUEST', 'third-party cookies are off (thirdPartyCookies=false)', { 'Cache-Control': 'no-store' });
      return false;
    }
    if (!allowReadOnly(req, res, route.path)) return false;
    return true;
  };

  router.on('/public/cookie/status', (req, res, route) => {
    if (!guard(req, res, route)) return;
    const id = thirdPartyGlobalId(ctx, req, res, false);
    const status: CookieStatus = id === null ? 'nocookie' : id === '' ? 'optedout' : 'cookie';
    if (ctx.config.optoutCallbackUrl) {
      res.writeHead(302, { Location: callbackLocation(ctx.config.optoutCallbackUrl, status), 'Cache-Control': 'no-store', 'Content-Length': 0 });
      res.end();
      return;
    }
    sendText(res, 200, `${status}\r\n`, { 'Cache-Control': 'no-store' });
  });

  const change = (optout: boolean) => (req: IncomingMessage, res: ServerResponse, route: RouteRequest): void => {
    if (!guard(req, res, route)) return;
    setThirdPartyOptout(ctx, req, res, optout);
    res.writeHead(302, { Location: 'status', 'Cache-Control': 'no-store', 'Content-Length': 0 });
    res.end();
  };
  router.on('/public/cookie/optout', change(true));
  router.on('/public/cookie/optin', change(false));

  router.onPrefix('/public/cookie/', (req, res, route) => {
    req.resume();
    if (!ctx.config.thirdPartyCookies) return void guard(req, res, route);
    fail(res, 'WT1_ERR_BAD_REQUEST', `unknown cookie action ${route.path.slice(0, 200)} (status, optin or optout)`);
  });
}
