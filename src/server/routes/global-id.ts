import type { AppContext } from '../context.js';
import type { Route } from '../router.js';
import { parseQueryString } from '../../event/query-string.js';
import { thirdPartyGlobalId } from '../third-party-cookies.js';
import { sendJson } from '../respond.js';
import { Wt1Error } from '../../errors.js';

/**
 * A JavaScript callback name we agree to call: an identifier or a dotted path of identifiers
 * (`cb`, `window.wt1.onId`), ASCII only, at most MAX_CALLBACK_LENGTH characters. WT1 echoed `fun`
 * unchecked into the script (reflected XSS); anything else here is refused with 400.
 */
export const MAX_CALLBACK_LENGTH = 128;
const CALLBACK = /^[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*$/;

export function isSafeCallbackName(name: string): boolean {
  return name.length <= MAX_CALLBACK_LENGTH && CALLBACK.test(name);
}

/**
 * GET /public/globalId: the third-party global visitor id (set or refreshed as a cookie, generated
 * when missing), as JSON `{"id": "..."}`, or with `?fun=NAME` as the script `NAME("...");`. The id
 * is "" when third-party cookies are off or the visitor opted out (or sent DNT / GPC).
 */
export function globalIdRoutes(ctx: AppContext): Route[] {
  return [
    {
      path: '/public/globalId',
      methods: ['GET', 'HEAD'],
      handler: (req, res, route) => {
        const fun = route.query ? parseQueryString(route.query).get('fun') : undefined;
        if (fun !== undefined && !isSafeCallbackName(fun)) {
          throw new Wt1Error(
            'WT1_ERR_BAD_REQUEST',
            `fun must be a JavaScript identifier or dotted path of at most ${MAX_CALLBACK_LENGTH} characters`,
          );
        }
        const id = thirdPartyGlobalId(ctx, req, res, true) ?? '';
        if (fun === undefined) {
          sendJson(res, 200, { id }, { 'X-Content-Type-Options': 'nosniff' });
          return;
        }
        // The id is [A-Za-z0-9_-] (see third-party-cookies.ts); JSON.stringify quotes it regardless.
        // The leading comment keeps the answer from starting with attacker-chosen bytes.
        const body = Buffer.from(`/**/${fun}(${JSON.stringify(id)});`, 'utf8');
        res.writeHead(200, {
          'Content-Type': 'application/javascript; charset=utf-8',
          'Content-Length': body.length,
          'X-Content-Type-Options': 'nosniff',
          'Cache-Control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
    },
  ];
}
