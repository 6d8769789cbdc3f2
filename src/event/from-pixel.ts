import { randomUUID } from 'node:crypto';
import type { TrackedEvent } from './event.js';
import { decodeComponent, encodeComponent, forEachRawPair, isCanonicallyEncoded } from './query-string.js';

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
  if (value.length === 16) n = Number(value); // 16 characters may hold 16 digits: past 2^53, inexact
  else if (sign === 45) n = -n;
  return Number.isSafeInteger(n) ? n : 0;
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
  const onPair = (rawKey: string, rawValue: string): void => {
    const key = decodeComponent(rawKey);
    if (!key.startsWith('__wt1')) {
      if (custom !== '') custom += '&';
      // Already in the canonical encoding (nearly always): copied, not decoded and encoded again.
      if (isCanonicallyEncoded(rawKey) && isCanonicallyEncoded(rawValue)) custom += rawKey + '=' + rawValue;
      else custom += encodeComponent(key) + '=' + encodeComponent(decodeComponent(rawValue));
      return;
    }
    const value = decodeComponent(rawValue);
    // First value wins; unknown __wt1* params are dropped.
    switch (key) {
      case '__wt1ts': ts ??= value; break;
      case '__wt1ty': ty ??= value; break;
      case '__wt1ref': ref ??= value; break;
      case '__wt1tzo': tzo ??= value; break;
      case '__wt1lang': lang ??= value; break;
      case '__wt1bw': bw ??= value; break;
      case '__wt1bh': bh ??= value; break;
      case '__wt1sw': sw ??= value; break;
      case '__wt1sh': sh ??= value; break;
      case '__wt1vic': vic ??= value; break;
      case '__wt1sic': sic ??= value; break;
      case '__wt1vpc': vpc ??= value; break;
      case '__wt1spc': spc ??= value; break;
      case '__wt1loc': loc ??= value; break;
    }
  };
  for (const qs of queryStrings) if (qs) forEachRawPair(qs, onPair);
  const visitorId = nonEmpty(vic), sessionId = nonEmpty(sic);
  const generated = (visitorId === undefined || sessionId === undefined) && facts.generatedIds ? facts.generatedIds() : undefined;

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
    browserWidth: lenientInt(bw),
    browserHeight: lenientInt(bh),
    screenWidth: lenientInt(sw),
    screenHeight: lenientInt(sh),
    browserLanguage: lang ?? null,
    tzOffset: tzo ?? null,
  };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
