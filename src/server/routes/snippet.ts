import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { AppContext } from '../context.js';
import type { Route, RouteRequest } from '../router.js';
import { Wt1Error } from '../../errors.js';

/** The bundle written by scripts/build-snippet.mjs (dist/snippet/track.js, beside dist/src/). */
export const SNIPPET_FILE = fileURLToPath(new URL('../../../snippet/track.js', import.meta.url));

/** The free identifier the bundle carries in place of the collector's `sessionExpiration`. */
export const SESSION_EXPIRATION_PLACEHOLDER = '__WT1_SESSION_EXPIRATION__';
/** Those it carries in place of `paths.pixel` and of a RegExp matching the script's path (`paths.snippet`). */
export const PIXEL_PATH_PLACEHOLDER = '__WT1_PIXEL_PATH__';
export const SCRIPT_PATH_PLACEHOLDER = '__WT1_SCRIPT_PATH__';

/** The collector's public paths the snippet needs (`paths.pixel`, `paths.snippet`). */
export interface SnippetPaths {
  readonly pixel: string;
  readonly snippet: readonly string[];
}
const DEFAULT_PATHS: SnippetPaths = { pixel: '/public/p.gif', snippet: ['/track.js', '/public/track.js'] };
/**
 * WT1's rule, kept for the default paths: the last path segment (and a `/public` before it) is the
 * script's, whatever its name (a copy of the script served elsewhere still finds the pixel).
 */
const DEFAULT_SCRIPT_PATH = String.raw`/(\/public)?\/[^/?#]*([?#].*)?$/`;

/** A browser may keep the plain URL this long before revalidating (with If-None-Match). */
const SHORT_CACHE = 'public, max-age=3600';
/** The versioned URL (`/track.js?v=VERSION`) never changes content, so it is cached for a year. */
const LONG_CACHE = 'public, max-age=31536000, immutable';

/** The script as served, computed once at startup. */
export interface ServedSnippet {
  readonly body: Buffer;
  readonly gzipped: Buffer;
  /** 16 hex digits of the body's SHA-256: the ETag and the `v` of the versioned URL. */
  readonly version: string;
  readonly etag: string;
}

/**
 * Puts the collector's session lifetime (seconds) and its paths into the bundle and prepares both
 * encodings. With renamed paths, the pixel URL is the script's URL with the one of `paths.snippet`
 * it ends with replaced by `paths.pixel`, so a prefix added by a reverse proxy (`/stats/js/a.js`)
 * is kept; failing that, its last segment is replaced (WT1's rule).
 */
export function renderSnippet(
  template: string,
  sessionExpiration: number,
  paths: SnippetPaths = DEFAULT_PATHS,
): ServedSnippet {
  if (!template.includes(SESSION_EXPIRATION_PLACEHOLDER))
    throw new Error(`the snippet bundle lacks ${SESSION_EXPIRATION_PLACEHOLDER}`);
  const text = template
    .replace(SESSION_EXPIRATION_PLACEHOLDER, String(Math.trunc(sessionExpiration)))
    .replace(SCRIPT_PATH_PLACEHOLDER, () => scriptPathPattern(paths.snippet))
    // The snippet uses it as String.replace's replacement, where `$` is special: doubled, it stays as written.
    .replace(PIXEL_PATH_PLACEHOLDER, () => JSON.stringify(paths.pixel.replace(/\$/g, '$$$$')));
  const body = Buffer.from(text, 'utf8');
  const version = createHash('sha256').update(body).digest('hex').slice(0, 16);
  // A weak ETag: the gzipped and the plain answers are the same script.
  return { body, gzipped: gzipSync(body, { level: 9 }), version, etag: `W/"${version}"` };
}

/** A RegExp literal matching the end of the script's URL: one of `snippet` (longest first), else its last segment. */
export function scriptPathPattern(snippet: readonly string[]): string {
  if (snippet.length === DEFAULT_PATHS.snippet.length && snippet.every((p, i) => p === DEFAULT_PATHS.snippet[i]))
    return DEFAULT_SCRIPT_PATH;
  const escaped = [...snippet]
    .sort((a, b) => b.length - a.length)
    .map((p) => p.replace(/[/.*+?^${}()|[\]\\]/g, '\\$&'));
  return `/(?:${[...escaped, String.raw`(?:\/public)?\/[^/?#]*`].join('|')})([?#].*)?$/`;
}

/** Whether an If-None-Match header names this ETag (weak comparison, `*` matches). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === opaque;
  });
}

function acceptsGzip(req: IncomingMessage): boolean {
  const accept = req.headers['accept-encoding'];
  if (typeof accept !== 'string') return false;
  return accept.split(',').some((part) => {
    const [coding, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return coding === 'gzip' && (!q || Number(q.slice(2)) > 0);
  });
}

/**
 * GET /track.js and /public/track.js (`paths.snippet`): the browser snippet (the `_wt1Q` tracker), with the
 * collector's `sessionExpiration` in it. Cached by ETag (304 on If-None-Match); `?v=VERSION`
 * (the ETag's value) is cached for a year.
 */
export function snippetRoutes(ctx: AppContext): Route[] {
  let snippet: ServedSnippet | undefined;
  try {
    snippet = renderSnippet(readFileSync(SNIPPET_FILE, 'utf8'), ctx.config.sessionExpiration, ctx.config.paths);
  } catch (error) {
    ctx.logger.warn(
      { err: error, file: SNIPPET_FILE },
      'browser snippet not available: /track.js answers 404 (run npm run build)',
    );
  }

  const serve = (req: IncomingMessage, res: ServerResponse, route: RouteRequest): void => {
    if (!snippet) throw new Wt1Error('WT1_ERR_NOT_FOUND', 'the browser snippet is not built (run npm run build)');
    const versioned = new URLSearchParams(route.query).get('v') === snippet.version;
    const headers: Record<string, string | number> = {
      'Cache-Control': versioned ? LONG_CACHE : SHORT_CACHE,
      ETag: snippet.etag,
      Vary: 'Accept-Encoding',
      // Sites may load it with crossorigin + integrity, or under Cross-Origin-Embedder-Policy.
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'X-Content-Type-Options': 'nosniff',
    };
    if (etagMatches(req.headers['if-none-match'], snippet.etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const gzip = acceptsGzip(req);
    const body = gzip ? snippet.gzipped : snippet.body;
    headers['Content-Type'] = 'application/javascript; charset=utf-8';
    headers['Content-Length'] = body.length;
    if (gzip) headers['Content-Encoding'] = 'gzip';
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  // `paths.snippet`: /track.js and /public/track.js unless renamed (docs/first-party.md).
  return ctx.config.paths.snippet.map((path) => ({ path, methods: ['GET', 'HEAD'], handler: serve }));
}
