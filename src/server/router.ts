import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsPolicy } from './cors.js';

export interface RouteRequest {
  /** Path without the query string. */
  readonly path: string;
  /** Raw query string without `?` ('' when none). */
  readonly query: string;
}

/**
 * Answers a request that passed its route's declared checks (method, admin, body limit). It throws
 * (or rejects with) a Wt1Error to refuse; the dispatcher answers it (src/server/http-dispatch.ts).
 */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, route: RouteRequest) => void | Promise<void>;

/**
 * Who may call a route: `true`, the admin guard (src/server/admin-guard.ts); `'page'`, the guard
 * only when no `adminToken` is set (the live page's static files must load to ask for the token).
 */
export type AdminAccess = boolean | 'page';

/** One endpoint, declared: the dispatcher enforces everything but `handler`. */
export interface Route {
  /** An exact path, or a prefix ending in `*` (longest prefix wins). */
  readonly path: string;
  /** Methods the handler takes, or `'*'` for any; others get 405 with `Allow`. */
  readonly methods: readonly string[] | '*';
  readonly admin?: AdminAccess;
  /**
   * The largest body the handler reads, in bytes: a larger declared Content-Length gets 413 before
   * the handler runs (and before `100 Continue`). Absent: the route reads no body, and one sent is
   * drained by the dispatcher.
   */
  readonly bodyLimit?: number;
  /** Answers preflights (OPTIONS) and puts the CORS headers on error answers too. */
  readonly cors?: CorsPolicy;
  readonly handler: RouteHandler;
}

/** Decorates every registered route's serving function (request timing); `label` is the declared path. */
export type RouteWrapper = (label: string, serve: RouteHandler) => RouteHandler;

/** A route ready to serve: its checks bound once at start, so a request costs no allocation for them. */
export interface CompiledRoute {
  readonly route: Route;
  /** null: any method. */
  readonly methods: ReadonlySet<string> | null;
  /** The `Allow` header of a 405. */
  readonly allow: string;
  /** Runs the checks then the handler (wrapped by the RouteWrapper). */
  serve: RouteHandler;
}

/**
 * Exact-path routes in a Map, plus a few prefix routes: the pixel costs one Map lookup, no regex.
 * The original's `/wt1` context path is accepted as an alias, so existing snippets keep working.
 */
export class Router {
  private readonly exact = new Map<string, CompiledRoute>();
  private readonly prefixes: Array<[string, CompiledRoute]> = [];

  /** Adds a route; `serve` runs its declared checks and its handler (see http-dispatch.ts). */
  add(route: Route, serve: RouteHandler): CompiledRoute {
    const methods = route.methods === '*' ? null : new Set(route.methods);
    const allowed = route.methods === '*' ? [] : [...route.methods];
    if (route.cors && !allowed.includes('OPTIONS')) allowed.push('OPTIONS');
    const compiled: CompiledRoute = { route, methods, allow: allowed.join(', '), serve };
    if (route.path.endsWith('*')) {
      if (this.prefixes.some(([p]) => p === route.path.slice(0, -1)))
        throw new Error(`route ${route.path} declared twice`);
      this.prefixes.push([route.path.slice(0, -1), compiled]);
      this.prefixes.sort((a, b) => b[0].length - a[0].length);
    } else {
      if (this.exact.has(route.path)) throw new Error(`route ${route.path} declared twice`);
      this.exact.set(route.path, compiled);
    }
    return compiled;
  }

  find(path: string): CompiledRoute | undefined {
    const exact = this.exact.get(path);
    if (exact) return exact;
    for (const [prefix, route] of this.prefixes) if (path.startsWith(prefix)) return route;
    if (path.startsWith('/wt1/')) return this.find(path.slice(4));
    return undefined;
  }
}

export function splitUrl(url: string): RouteRequest {
  const q = url.indexOf('?');
  return q === -1 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}
