import type { TrackedEvent } from '../event/event.js';
import type { JsonLimits } from '../json/bounded-json.js';

/**
 * A wire format wt1 accepts (a tracker's API): its endpoints, the media types of its bodies, what
 * it answers, and `parse`, which turns one request into events. Reading the body (limits, gzip,
 * the in-flight budget), CORS, back-pressure and error answers are the ingest path's
 * (src/server/routes/inputs.ts): an input is pure, and throws a Wt1Error naming the field.
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
  /** Request headers its browser tracker sends, allowed in CORS preflights (besides Content-Type). */
  readonly corsHeaders?: readonly string[];
  /** The name of its allow-list of sites, read from `inputs.NAME.KEY` (e.g. `writeKeys`). */
  readonly sitesKey: string;
  /** The answer when the events were accepted, unless `parse` gives one. */
  readonly accepted: InputAnswer;
  parse(request: InputRequest, body: Buffer | null, context: InputContext): ParsedRequest;
}

export interface InputEndpoint {
  /** The path, or with `prefix` every path starting with it (e.g. `/api/s/` + the event type). */
  readonly path: string;
  readonly prefix?: boolean;
  readonly methods: ReadonlyArray<'GET' | 'POST'>;
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
  /** Answered as `application/json` when it is not a string. */
  readonly body?: string | object;
  readonly contentType?: string;
}

export interface ParsedRequest {
  readonly events: readonly TrackedEvent[];
  /** Overrides the input's `accepted` answer (e.g. a config document, a validation report). */
  readonly answer?: InputAnswer;
  /** Messages received and knowingly not stored (the tracker's own telemetry): counted. */
  readonly ignored?: number;
}
