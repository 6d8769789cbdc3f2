import type { TrackedEvent } from '../event/event.js';
import type { JsonLimits } from '../json/bounded-json.js';

/**
 * A wire format wt1 accepts (a tracker's API): its endpoints, the media types of its bodies, what
 * it answers, and `parse`, which turns one request into events. Reading the body (limits, gzip,
 * the in-flight budget), CORS, back-pressure and error answers are the ingest path's
 * (src/server/routes/inputs.ts): an input is pure, and throws a Wt1Error naming the field.
 * The pixel and `/public/events` are inputs too (`builtin`); the pixel is the one `capture: 'hit'` input.
 */
export interface Input {
  /** Its name in the `inputs` config key, in `_input=` and in docs/inputs.md. */
  readonly name: string;
  readonly endpoints: readonly InputEndpoint[];
  /** Media types of the bodies it accepts (lower-case, no parameters); '' for a body sent without Content-Type. */
  readonly mediaTypes: readonly string[];
  /**
   * Its tracker sends cookies (fetch `credentials: 'include'`): CORS answers echo the Origin and
   * allow credentials instead of `*`.
   */
  readonly credentials?: boolean;
  /**
   * Its tracker sends gzip bodies without `Content-Encoding` (posthog-js: `text/plain`, at most a
   * `?compression=gzip-js`): a body starting with gzip's magic bytes is gunzipped, same limits.
   */
  readonly sniffsGzip?: boolean;
  /** Request headers its browser tracker sends, allowed in CORS preflights (besides Content-Type). */
  readonly corsHeaders?: readonly string[];
  /** The name of its allow-list of sites, read from `inputs.NAME.KEY` (e.g. `writeKeys`). */
  readonly sitesKey: string;
  /** The answer when the events were accepted, unless `parse` gives one. */
  readonly accepted: InputAnswer;
  /**
   * WT1's own endpoints (the pixel, `/public/events`): always served whatever `inputs` says, no
   * allow-list (`sitesKey` unused), and refusals keep WT1's messages (not prefixed with the name).
   */
  readonly builtin?: boolean;
  /** Media types whose body is itself gzip (`application/gzip`); otherwise gzip only by Content-Encoding. */
  readonly gzipMediaTypes?: readonly string[];
  /** `charset=` values accepted on the Content-Type (lower-case); absent: any. */
  readonly charsets?: readonly string[];
  /** How a 415 says what it takes (default `accepts <mediaTypes>`), followed by `, not <type>`. */
  readonly accepts?: string;
  /**
   * `'hit'`: the request is answered at once and captured raw (query strings and request facts);
   * its event is built later, on the storage thread when there is one (src/event/pixel-hit.ts).
   * For GIF beacons whose parsing cannot fail: the pixel. Its `parse` is never called.
   */
  readonly capture?: 'hit';
  parse(request: InputRequest, body: Buffer | null, context: InputContext): ParsedRequest;
}

export interface InputEndpoint {
  /** The path, or with `prefix` every path starting with it (e.g. `/api/s/` + the event type). */
  readonly path: string;
  readonly prefix?: boolean;
  readonly methods: ReadonlyArray<'GET' | 'POST' | 'HEAD'>;
  /** The `paths.*` key that renames it (e.g. `pixel` for `paths.pixel`, docs/first-party.md). */
  readonly pathKey?: string;
}

/** What the HTTP layer knows of a request, as an input sees it. */
export interface InputRequest {
  readonly method: string;
  /** The path the request came on (without the `/wt1` prefix and the query). */
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly query: string;
  /** Server reception time, ms since epoch. */
  readonly now: number;
  /** After the trusted-proxy rule and `anonymizeIp`. */
  readonly clientAddress: string;
  /** Header values as UTF-8 text (undefined when absent). */
  readonly userAgent: string | undefined;
  readonly referer: string | undefined;
  readonly acceptLanguage: string | undefined;
  readonly authorization: string | undefined;
  /** Any other header, lower-case name. */
  header(name: string): string | undefined;
}

/** What the ingest path lends every input for one request. */
export interface InputContext {
  readonly limits: InputLimits;
  /**
   * Checks a site (write key, domain, website id...) against `inputs.NAME.<sitesKey>` when it is
   * set: throws WT1_ERR_FORBIDDEN for a site not on it.
   */
  checkSite(site: string | null): void;
  /** The daily-salted visitor id of a cookieless tracker (src/inputs/visitor-hash.ts). */
  visitorHash(site: string, clientAddress: string, userAgent: string): string;
}

/** The JSON API's limits (`api.*`), shared by every input. */
export interface InputLimits extends JsonLimits {
  /** Most events in one request. */
  readonly maxEvents: number;
  /** Longest string written in one field (params encoded), in characters. */
  readonly maxFieldLength: number;
}

export interface InputAnswer {
  readonly status: number;
  /** Answered as `application/json` when it is neither a string nor bytes (a Buffer, e.g. a GIF). */
  readonly body?: string | Buffer | object;
  readonly contentType?: string;
  /** More response headers (e.g. the Cache-Control of an image answer). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ParsedRequest {
  readonly events: readonly TrackedEvent[];
  /** Overrides the input's `accepted` answer (e.g. a config document, a validation report). */
  readonly answer?: InputAnswer;
  /** Messages received and knowingly not stored (the tracker's own telemetry): counted. */
  readonly ignored?: number;
}
