/** A route's CORS rule (`Route.cors`): the headers of its answers and of its preflights. */
export interface CorsPolicy {
  /** The CORS headers for a request's `Origin` (shared objects: never modify them). */
  headersFor(origin: string | undefined): Readonly<Record<string, string>>;
  /** The headers of a preflight answer (204) for a request's `Origin`. */
  preflightFor(origin: string | undefined): Readonly<Record<string, string>>;
}

export interface CorsOptions {
  /** Allowed origins; `*` among them allows any. */
  readonly origins: readonly string[];
  /** `Access-Control-Allow-Methods` of a preflight. */
  readonly methods: string;
  /** `Access-Control-Allow-Headers` of a preflight, if any. */
  readonly headers?: string;
  /** `Access-Control-Max-Age` of a preflight, in seconds. */
  readonly maxAge?: number;
}

/**
 * The CORS rule for a list of origins: `*` when any origin is allowed, else the origin itself when
 * it is listed (with `Vary: Origin`, so caches keep answers apart), else none (the browser then
 * refuses the answer). Every header object is made once here, not per request.
 */
export function corsPolicy(options: CorsOptions): CorsPolicy {
  const preflightExtra: Record<string, string> = { 'Access-Control-Allow-Methods': options.methods };
  if (options.headers) preflightExtra['Access-Control-Allow-Headers'] = options.headers;
  preflightExtra['Access-Control-Max-Age'] = String(options.maxAge ?? 86_400);
  if (options.origins.includes('*')) {
    const any = { 'Access-Control-Allow-Origin': '*' };
    const preflight = { ...any, ...preflightExtra, 'Content-Length': '0' };
    return { headersFor: () => any, preflightFor: () => preflight };
  }
  const allowed = new Set(options.origins.map((o) => o.toLowerCase().replace(/\/+$/, '')));
  const vary = { Vary: 'Origin' };
  const refusedPreflight = { ...vary, 'Content-Length': '0' };
  const isAllowed = (origin: string | undefined): origin is string =>
    origin !== undefined && allowed.has(origin.toLowerCase());
  return {
    headersFor: (origin) => (isAllowed(origin) ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : vary),
    preflightFor: (origin) =>
      isAllowed(origin)
        ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin', ...preflightExtra, 'Content-Length': '0' }
        : refusedPreflight,
  };
}
