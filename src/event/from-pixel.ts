import { randomUUID } from 'node:crypto';
import type { TrackedEvent } from './event.js';
import { decodeComponent, encodeComponent, isCanonicallyEncoded } from './query-string.js';

/** What the HTTP layer knows about the request, beyond its params. */
export interface RequestFacts {
  readonly now: number;
  readonly clientAddress: string;
  readonly referer: string | undefined;
  readonly userAgent: string | undefined;
  readonly globalVisitorId: string | null;
  /** The ids to use when the hit carries none (default: random ones). See src/event/pixel-hit.ts. */
  readonly generatedIds?: () => readonly [visitorId: string, sessionId: string];
}

/** A visitor or session id for a client without cookies: `Z` + 32 hex digits, as WT1 made them. */
export function generateId(): string {
  return 'Z' + randomUUID().replace(/-/g, '');
}

/** Integers parsed leniently, as WT1 did: anything but an optional sign and digits gives 0. */
export function lenientInt(value: string | undefined): number {
  if (value === undefined || value.length === 0 || value.length > 16) return 0;
  const sign = value.charCodeAt(0);
  let i = sign === 45 /* - */ || sign === 43 /* + */ ? 1 : 0;
  if (i === value.length) return 0;
  // Summed digit by digit (exact up to 15 digits): cheaper than Number(), which runs for every hit.
  let n = 0;
  for (; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return 0;
    n = n * 10 + (c - 48);
  }
  if (value.length === 16)
    n = Number(value); // 16 characters may hold 16 digits: past 2^53, inexact
  else if (sign === 45) n = -n;
  return Number.isSafeInteger(n) ? n : 0;
}

/** A size, a Java `int` in WT1: past 32 bits it failed to parse there, and gives 0 here too. */
export function lenientInt32(value: string | undefined): number {
  const n = lenientInt(value);
  return n > 2147483647 || n < -2147483648 ? 0 : n;
}

/**
 * Builds the event of one pixel hit from its query string(s) (GET query, or POST form body, or
 * both). Reserved `__wt1*` params fill the event's fields, first value wins; every other param is
 * re-encoded into `eventParams`; unknown `__wt1*` params are dropped so they never leak.
 */
export function eventFromPixel(queryStrings: readonly string[], facts: RequestFacts): TrackedEvent {
  // Plain locals rather than a Map: this runs for every hit.
  let ts: string | undefined, ty: string | undefined, ref: string | undefined, tzo: string | undefined;
  let lang: string | undefined, bw: string | undefined, bh: string | undefined, sw: string | undefined;
  let sh: string | undefined, vic: string | undefined, sic: string | undefined, vpc: string | undefined;
  let spc: string | undefined, loc: string | undefined;
  // Custom params, re-encoded as `k=v&k2=v2` (encodePairs' form) as they come.
  let custom = '';
  for (let q = 0; q < queryStrings.length; q++) {
    const qs = queryStrings[q];
    const n = qs.length;
    // The next `%` and `+` at or after the current pair: each is searched for once per query
    // string, and only keys or values holding one are decoded.
    let percent = qs.indexOf('%');
    let plus = qs.indexOf('+');
    for (let start = 0; start <= n; ) {
      let end = qs.indexOf('&', start);
      if (end === -1) end = n;
      if (end > start) {
        let eq = qs.indexOf('=', start);
        if (eq > end) eq = -1;
        const keyEnd = eq === -1 ? end : eq;
        if (percent !== -1 && percent < start) percent = qs.indexOf('%', start);
        if (plus !== -1 && plus < start) plus = qs.indexOf('+', start);
        // Reserved keys are told apart by their characters: no substring, no string comparison.
        let key: string | undefined;
        let slot = CUSTOM;
        if ((percent !== -1 && percent < keyEnd) || (plus !== -1 && plus < keyEnd)) {
          key = decodeComponent(qs.slice(start, keyEnd));
          if (key.startsWith('__wt1')) slot = slotOfKey(key, 0, key.length);
        } else if (keyEnd - start >= 5 && qs.startsWith('__wt1', start)) {
          slot = slotOfKey(qs, start, keyEnd);
        }
        if (slot === CUSTOM) {
          if (custom !== '') custom += '&';
          // Already in the canonical encoding (nearly always): copied, not decoded and encoded again.
          if (isCanonicallyEncoded(qs, start, keyEnd) && (eq === -1 || isCanonicallyEncoded(qs, eq + 1, end))) {
            custom += eq === -1 ? qs.slice(start, end) + '=' : qs.slice(start, end);
          } else {
            const rawValue = eq === -1 ? '' : qs.slice(eq + 1, end);
            custom +=
              encodeComponent(key ?? decodeComponent(qs.slice(start, keyEnd))) +
              '=' +
              encodeComponent(decodeComponent(rawValue));
          }
        } else if (slot !== UNKNOWN) {
          let value = eq === -1 ? '' : qs.slice(eq + 1, end);
          if ((percent !== -1 && percent < end) || (plus !== -1 && plus < end)) value = decodeComponent(value);
          // First value wins; unknown __wt1* params are dropped so they never leak.
          switch (slot) {
            case TS:
              ts ??= value;
              break;
            case TY:
              ty ??= value;
              break;
            case REF:
              ref ??= value;
              break;
            case TZO:
              tzo ??= value;
              break;
            case LANG:
              lang ??= value;
              break;
            case BW:
              bw ??= value;
              break;
            case BH:
              bh ??= value;
              break;
            case SW:
              sw ??= value;
              break;
            case SH:
              sh ??= value;
              break;
            case VIC:
              vic ??= value;
              break;
            case SIC:
              sic ??= value;
              break;
            case VPC:
              vpc ??= value;
              break;
            case SPC:
              spc ??= value;
              break;
            case LOC:
              loc ??= value;
              break;
          }
        }
      }
      start = end + 1;
    }
  }
  const visitorId = nonEmpty(vic),
    sessionId = nonEmpty(sic);
  const generated =
    (visitorId === undefined || sessionId === undefined) && facts.generatedIds ? facts.generatedIds() : undefined;

  return {
    serverTS: facts.now,
    clientTS: lenientInt(ts),
    origAddress: facts.clientAddress,
    visitorId: visitorId ?? generated?.[0] ?? generateId(),
    sessionId: sessionId ?? generated?.[1] ?? generateId(),
    globalVisitorId: facts.globalVisitorId,
    // The snippet sends the full page URL (modern browsers send only the origin as Referer).
    page: nonEmpty(loc) ?? facts.referer ?? null,
    referer: ref ?? null,
    ua: facts.userAgent ?? null,
    type: ty ?? null,
    visitorParams: vpc ?? null,
    sessionParams: spc ?? null,
    eventParams: custom,
    browserWidth: lenientInt32(bw),
    browserHeight: lenientInt32(bh),
    screenWidth: lenientInt32(sw),
    screenHeight: lenientInt32(sh),
    browserLanguage: lang ?? null,
    tzOffset: tzo ?? null,
  };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

const CUSTOM = -1,
  UNKNOWN = 0,
  TS = 1,
  TY = 2,
  REF = 3,
  TZO = 4,
  LANG = 5,
  BW = 6,
  BH = 7,
  SW = 8,
  SH = 9,
  VIC = 10,
  SIC = 11,
  VPC = 12,
  SPC = 13,
  LOC = 14;
// The reserved keys by their 2 to 4 characters after `__wt1`, packed into one number.
const SLOT_BY_SUFFIX = new Map<number, number>(
  (
    [
      ['ts', TS],
      ['ty', TY],
      ['ref', REF],
      ['tzo', TZO],
      ['lang', LANG],
      ['bw', BW],
      ['bh', BH],
      ['sw', SW],
      ['sh', SH],
      ['vic', VIC],
      ['sic', SIC],
      ['vpc', VPC],
      ['spc', SPC],
      ['loc', LOC],
    ] as const
  ).map(([suffix, slot]) => [packSuffix(suffix, 0, suffix.length), slot]),
);

function packSuffix(s: string, from: number, to: number): number {
  let code = 0;
  for (let i = from; i < to; i++) code = code * 256 + (s.charCodeAt(i) & 0xff);
  return code;
}

/** The slot of `s.slice(from, to)`, a key that starts with `__wt1`: UNKNOWN when it is no reserved key. */
function slotOfKey(s: string, from: number, to: number): number {
  const length = to - from - 5;
  if (length < 2 || length > 4) return UNKNOWN;
  for (let i = from + 5; i < to; i++) if (s.charCodeAt(i) > 0x7f) return UNKNOWN;
  return SLOT_BY_SUFFIX.get(packSuffix(s, from + 5, to)) ?? UNKNOWN;
}
