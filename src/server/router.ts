import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RouteRequest {
  /** Path without the query string. */
  readonly path: string;
  /** Raw query string without `?` ('' when none). */
  readonly query: string;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, route: RouteRequest) => void | Promise<void>;

/** Decorates every registered handler (request timing); `route` is the registered path or `prefix*`. */
export type RouteWrapper = (route: string, handler: RouteHandler) => RouteHandler;

/**
 * Exact-path routes in a Map, plus a few prefix routes: the pixel costs one Map lookup, no regex.
 * The original's `/wt1` context path is accepted as an alias, so existing snippets keep working.
 */
export class Router {
  private readonly exact = new Map<string, RouteHandler>();
  private readonly prefixes: Array<[string, RouteHandler]> = [];

  constructor(private readonly wrap: RouteWrapper = (_route, handler) => handler) {}

  on(path: string, handler: RouteHandler): this {
    this.exact.set(path, this.wrap(path, handler));
    return this;
  }

  /** Handles every path starting with `prefix` (longest prefix wins). */
  onPrefix(prefix: string, handler: RouteHandler): this {
    this.prefixes.push([prefix, this.wrap(`${prefix}*`, handler)]);
    this.prefixes.sort((a, b) => b[0].length - a[0].length);
    return this;
  }

  find(path: string): RouteHandler | undefined {
    const exact = this.exact.get(path);
    if (exact) return exact;
    for (const [prefix, handler] of this.prefixes) if (path.startsWith(prefix)) return handler;
    if (path.startsWith('/wt1/')) return this.find(path.slice(4));
    return undefined;
  }
}

export function splitUrl(url: string): RouteRequest {
  const q = url.indexOf('?');
  return q === -1 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}
