import { hash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeComponent } from '../event/query-string.js';
import { isHttps, type AppContext } from './context.js';

/**
 * WT1's third-party cookies (WT1-REFERENCE §4), set on the tracker's own domain when
 * `thirdPartyCookies=true`: the global visitor id `__wt1tpvic` (2 years, refreshed on every hit) and
 * the opt-out marker `__wt1optout=1` (5 years). `DNT: 1` and `Sec-GPC: 1` (unless `ignoreDNT`)
 * remove both and count as opted out. docs/privacy.md is the user-facing description.
 */
export const GLOBAL_ID_COOKIE = '__wt1tpvic';
export const OPTOUT_COOKIE = '__wt1optout';
export const GLOBAL_ID_LIFETIME_SECONDS = 2 * 365 * 86400;
export const OPTOUT_LIFETIME_SECONDS = 5 * 365 * 86400;

/** The shortest first-party visitor id that seeds the global id (shorter ones have too little entropy). */
export const MIN_SEED_LENGTH = 8;

/**
 * A global id we accept back from a cookie: what we generate (32 hex digits) or what an older WT1
 * may have set. Anything else (quotes, spaces, megabytes) is treated as no cookie and replaced, so a
 * forged value never reaches the logs or the JavaScript answer of /public/globalId.
 */
const VALID_GLOBAL_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Java's `UUID.nameUUIDFromBytes(seed.getBytes(UTF_8))` printed as WT1 printed ids
 * (`%016x%016x`: 32 lower-case hex digits, no dashes): MD5 of the UTF-8 bytes with the version
 * nibble set to 3 and the IETF variant bits set. The same seed gives the same id in every instance,
 * so simultaneous first hits of one visitor agree on the global id.
 */
export function globalIdFromSeed(seed: string): string {
  const md5 = hash('md5', Buffer.from(seed, 'utf8'), 'buffer');
  md5[6] = (md5[6] & 0x0f) | 0x30; // version 3 (name-based, MD5)
  md5[8] = (md5[8] & 0x3f) | 0x80; // IETF variant
  return md5.toString('hex');
}

/** A new random global id, in the same 32-hex-digit form. */
export function randomGlobalId(): string {
  return randomUUID().replace(/-/g, '');
}

interface ThirdPartyCookieValues {
  /** The global id cookie, when present, not `0` and well-formed. */
  globalId: string | undefined;
  /** Whether the request carried a global id cookie at all (even an unusable one, to expire it). */
  hadGlobalId: boolean;
  optout: string | undefined;
}

/** Reads `__wt1tpvic` and `__wt1optout` from the Cookie header (first occurrence wins). */
export function readThirdPartyCookies(header: string | undefined): ThirdPartyCookieValues {
  const out: ThirdPartyCookieValues = { globalId: undefined, hadGlobalId: false, optout: undefined };
  if (!header || header.indexOf('__wt1') === -1) return out;
  let globalSeen = false;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (name === GLOBAL_ID_COOKIE && !globalSeen) {
      globalSeen = true;
      out.hadGlobalId = true;
      const value = unquote(part.slice(eq + 1).trim());
      if (value !== '0' && VALID_GLOBAL_ID.test(value)) out.globalId = value;
    } else if (name === OPTOUT_COOKIE && out.optout === undefined) {
      out.optout = unquote(part.slice(eq + 1).trim());
    }
  }
  return out;
}

function unquote(value: string): string {
  return value.length >= 2 && value[0] === '"' && value[value.length - 1] === '"' ? value.slice(1, -1) : value;
}

/** A Set-Cookie value; `SameSite=None; Secure` over https so browsers keep it in a third-party context. */
function cookieString(name: string, value: string, maxAgeSeconds: number, now: number, secure: boolean): string {
  const expires = new Date(maxAgeSeconds === 0 ? 0 : now + maxAgeSeconds * 1000).toUTCString();
  return (
    `${name}=${value}; Max-Age=${maxAgeSeconds}; Expires=${expires}; ` +
    `Path=/; HttpOnly${secure ? '; Secure; SameSite=None' : ''}`
  );
}

/** Collects the Set-Cookie values of one answer (a response may set or expire both cookies). */
class CookieJar {
  private readonly cookies: string[] = [];
  constructor(
    private readonly res: ServerResponse,
    private readonly now: number,
    private readonly secure: boolean,
  ) {}

  set(name: string, value: string, maxAgeSeconds: number): void {
    this.cookies.push(cookieString(name, value, maxAgeSeconds, this.now, this.secure));
    this.res.setHeader('Set-Cookie', this.cookies);
  }

  expire(name: string): void {
    this.set(name, '0', 0);
  }
}

/** A DNT value echoed back only when it is short printable ASCII (it goes into a response header). */
const ECHOABLE = /^[\x20-\x7e]{1,32}$/;

/**
 * Sends `P3P` when configured, echoes `DNT` (unless `ignoreDNT`), and tells whether the visitor
 * asked not to be tracked: `DNT: 1` or `Sec-GPC: 1`, both ignored with `ignoreDNT=true`.
 */
function privacySignals(ctx: AppContext, req: IncomingMessage, res: ServerResponse): boolean {
  if (ctx.config.p3pHeader) res.setHeader('P3P', ctx.config.p3pHeader);
  if (ctx.config.ignoreDNT) return false;
  const dnt = req.headers.dnt;
  if (typeof dnt === 'string' && ECHOABLE.test(dnt)) res.setHeader('DNT', dnt);
  const gpc = req.headers['sec-gpc'];
  return (typeof dnt === 'string' && dnt.trim() === '1') || (typeof gpc === 'string' && gpc.trim() === '1');
}

/**
 * The global visitor id of a request, refreshing the cookies on `res` (WT1's getThirdPartyCookie).
 * Returns null when third-party cookies are off, or when there is no id and `generate` is false;
 * the empty string when the visitor opted out or sent DNT / GPC; else the id. A new id is derived
 * from `seed()` (a first-party visitor id of 8+ characters) when it gives one, random otherwise;
 * `seed` is called only then, so a returning visitor's hit does not look for it.
 */
export function thirdPartyGlobalId(
  ctx: AppContext,
  req: IncomingMessage,
  res: ServerResponse,
  generate: boolean,
  seed?: () => string | undefined,
): string | null {
  if (!ctx.config.thirdPartyCookies) return null;
  const cookies = readThirdPartyCookies(req.headers.cookie);
  const jar = new CookieJar(res, ctx.now(), isHttps(ctx, req));
  if (privacySignals(ctx, req, res)) {
    if (cookies.hadGlobalId) jar.expire(GLOBAL_ID_COOKIE);
    if (cookies.optout !== undefined) jar.expire(OPTOUT_COOKIE);
    return '';
  }
  if (cookies.optout === '1') {
    // WT1 refreshed the opt-out only; a global id cookie left beside it is expired too.
    if (cookies.hadGlobalId) jar.expire(GLOBAL_ID_COOKIE);
    jar.set(OPTOUT_COOKIE, '1', OPTOUT_LIFETIME_SECONDS);
    return '';
  }
  let id = cookies.globalId;
  if (id === undefined) {
    if (!generate) return null;
    const firstParty = seed?.();
    id =
      firstParty !== undefined && firstParty.length >= MIN_SEED_LENGTH
        ? globalIdFromSeed(firstParty)
        : randomGlobalId();
  }
  jar.set(GLOBAL_ID_COOKIE, id, GLOBAL_ID_LIFETIME_SECONDS);
  return id;
}

/**
 * /public/cookie/optout and /optin (WT1's setOptout): opting out expires the global id and sets
 * `__wt1optout=1`; opting in expires the opt-out cookie. With DNT / GPC both cookies are expired
 * and nothing is set.
 */
export function setThirdPartyOptout(ctx: AppContext, req: IncomingMessage, res: ServerResponse, optout: boolean): void {
  const cookies = readThirdPartyCookies(req.headers.cookie);
  const jar = new CookieJar(res, ctx.now(), isHttps(ctx, req));
  if (privacySignals(ctx, req, res)) {
    if (cookies.hadGlobalId) jar.expire(GLOBAL_ID_COOKIE);
    if (cookies.optout !== undefined) jar.expire(OPTOUT_COOKIE);
    return;
  }
  if (optout) {
    if (cookies.hadGlobalId) jar.expire(GLOBAL_ID_COOKIE);
    jar.set(OPTOUT_COOKIE, '1', OPTOUT_LIFETIME_SECONDS);
  } else if (cookies.optout !== undefined) {
    jar.expire(OPTOUT_COOKIE);
  }
}

/**
 * The first-party visitor id (`__wt1vic`) of a pixel hit, found without parsing the whole query
 * string: the value of the first `__wt1vic=` pair in the query, then in the form body.
 */
export function firstPartyVisitorId(queryStrings: readonly string[]): string | undefined {
  const key = '__wt1vic=';
  for (const qs of queryStrings) {
    let at = qs.indexOf(key);
    while (at > 0 && qs.charCodeAt(at - 1) !== 38 /* & */) at = qs.indexOf(key, at + 1);
    if (at === -1) continue;
    const start = at + key.length;
    const end = qs.indexOf('&', start);
    const value = decodeComponent(end === -1 ? qs.slice(start) : qs.slice(start, end));
    if (value !== '') return value;
  }
  return undefined;
}

/**
 * The pixel's hook (AppContext.globalVisitorId): sets or refreshes the cookies and returns the
 * global id for the event, seeded from the hit's first-party visitor id so that simultaneous
 * first hits of one visitor agree.
 */
export function pixelGlobalVisitorId(
  ctx: AppContext,
  req: IncomingMessage,
  res: ServerResponse,
  queryStrings: readonly string[] = [],
): string | null {
  return thirdPartyGlobalId(ctx, req, res, true, () => firstPartyVisitorId(queryStrings));
}
