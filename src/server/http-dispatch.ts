import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { Wt1Error } from '../errors.js';
import type { AdminGuard } from './admin-guard.js';
import { sendError } from './respond.js';
import { Router, splitUrl, type CompiledRoute, type Route, type RouteHandler, type RouteWrapper } from './router.js';

export interface DispatchOptions {
  readonly routes: readonly Route[];
  /** The admin guard of routes declared `admin`. */
  readonly guard: AdminGuard;
  /** Whether `adminToken` is set (routes declared `admin: 'page'` are open then). */
  readonly hasAdminToken: boolean;
  readonly logger: Logger;
  /** Decorates each route's serving function (the request timing of /metrics). */
  readonly wrap?: RouteWrapper;
}

/** The HTTP side of a collector: the request listener and the `Expect: 100-continue` one. */
export interface HttpDispatch {
  onRequest(req: IncomingMessage, res: ServerResponse): void;
  onCheckContinue(req: IncomingMessage, res: ServerResponse): void;
  readonly router: Router;
}

const NOT_FOUND_LIMIT = 200;

/**
 * Routes each request to its declared route and enforces the declaration (methods, CORS preflight,
 * admin guard, body limit) before the handler runs; whatever a route throws or rejects with is
 * answered by one error handler (`answerError`), with the error's stable code in `X-WT1-Error`.
 */
export function createHttpDispatch(options: DispatchOptions): HttpDispatch {
  const router = new Router();
  const wrap = options.wrap ?? ((_label, serve) => serve);
  for (const route of options.routes) {
    const compiled = router.add(route, noop);
    compiled.serve = wrap(route.path, serveRoute(compiled, options));
  }
  const answerError = errorAnswerer(options.logger);

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const request = splitUrl(req.url ?? '/');
    const compiled = router.find(request.path);
    if (compiled === undefined) {
      answerError(
        new Wt1Error('WT1_ERR_NOT_FOUND', `no such endpoint: ${request.path.slice(0, NOT_FOUND_LIMIT)}`),
        req,
        res,
        undefined,
      );
      return;
    }
    let pending: void | Promise<void>;
    try {
      pending = compiled.serve(req, res, request);
    } catch (error) {
      answerError(error, req, res, compiled.route);
      return;
    }
    // The pixel's GET answers synchronously: no promise, no closure.
    if (pending !== undefined)
      pending.then(undefined, (error: unknown) => answerError(error, req, res, compiled.route));
  };

  // `Expect: 100-continue`: a body declared over the route's limit is refused before the client
  // sends it (Node would answer 100 on its own and let it upload megabytes to be drained).
  const onCheckContinue = (req: IncomingMessage, res: ServerResponse): void => {
    const limit = router.find(splitUrl(req.url ?? '/').path)?.route.bodyLimit;
    if (limit !== undefined && Number(req.headers['content-length']) > limit) {
      answerError(tooLarge(limit), req, res, undefined);
      return;
    }
    res.writeContinue();
    onRequest(req, res);
  };

  return { onRequest, onCheckContinue, router };
}

function noop(): void {}

/** The declared checks of one route, then its handler. Bound once per route: nothing is allocated per request. */
function serveRoute(compiled: CompiledRoute, options: DispatchOptions): RouteHandler {
  const { route, methods } = compiled;
  const { handler, bodyLimit, cors } = route;
  const guarded = route.admin === true || (route.admin === 'page' && !options.hasAdminToken);
  const guard = options.guard;
  const allowHeaders = { Allow: compiled.allow };
  return (req, res, request) => {
    if (methods !== null && !methods.has(req.method ?? '')) {
      if (cors !== undefined && req.method === 'OPTIONS') {
        res.writeHead(204, cors.preflightFor(req.headers.origin) as Record<string, string>);
        res.end();
        return;
      }
      throw new Wt1Error(
        'WT1_ERR_METHOD_NOT_ALLOWED',
        `${req.method} is not allowed on ${request.path.slice(0, NOT_FOUND_LIMIT)} (${compiled.allow})`,
        { headers: allowHeaders },
      );
    }
    if (guarded) guard(req);
    if (bodyLimit !== undefined) {
      if (Number(req.headers['content-length']) > bodyLimit) throw tooLarge(bodyLimit);
    } else if (hasBody(req)) {
      req.resume(); // a route that reads no body drains one sent
    }
    return handler(req, res, request);
  };
}

function tooLarge(limit: number): Wt1Error {
  return new Wt1Error('WT1_ERR_BODY_TOO_LARGE', `the body is larger than the limit of ${limit} bytes`);
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * The one error handler. A Wt1Error with a status is answered as `<message>` plain text with its
 * code in `X-WT1-Error`, its own headers, the route's CORS headers, `Retry-After` when overloaded,
 * and `Connection: close` when the request's body was not read to the end (it is drained, not
 * kept). Anything else is a bug: logged, answered 500 with no detail.
 */
function errorAnswerer(
  logger: Logger,
): (error: unknown, req: IncomingMessage, res: ServerResponse, route: Route | undefined) => void {
  return (error, req, res, route) => {
    let refusal: Wt1Error;
    if (error instanceof Wt1Error && error.status) {
      refusal = error;
    } else {
      logger.error({ err: error }, 'request failed');
      refusal = new Wt1Error('WT1_ERR_INTERNAL', "the request failed; the cause is in the collector's log");
    }
    const headers: Record<string, string> = {};
    if (route?.cors) Object.assign(headers, route.cors.headersFor(req.headers.origin));
    if (refusal.headers) Object.assign(headers, refusal.headers);
    if (refusal.code === 'WT1_ERR_OVERLOADED' && headers['Retry-After'] === undefined) headers['Retry-After'] = '1';
    if (hasBody(req) && !req.complete) {
      req.resume();
      headers.Connection = 'close';
    }
    sendError(res, refusal, headers);
  };
}
