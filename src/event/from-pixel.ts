import { randomUUID } from 'node:crypto';
import type { TrackedEvent } from './event.js';
import { encodePairs, forEachPair } from './query-string.js';

/** What the HTTP layer knows about the request, beyond its params. */
export interface RequestFacts {
  readonly now: number;
  readonly clientAddress: string;
  readonly referer: string | undefined;
  readonly userAgent: string | undefined;
  readonly globalVisitorId: string | null;
}

/** A visitor or session id for a client without cookies: `Z` + 32 hex digits, as WT1 made them. */
export function generateId(): string {
  return 'Z' + randomUUID().replace(/-/g, '');
}

/** Integers parsed leniently, as WT1 did: anything but an optional sign and digits gives 0. */
export function lenientInt(value: string | undefined): number {
  if (value === undefined || value.length === 0 || value.length > 16) return 0;
  if (!/^[-+]?\d+$/.test(value)) return 0;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : 0;
}

/**
 * Builds the event of one pixel hit from its query string(s) (GET query, or POST form body, or
 * both). Reserved `__wt1*` params fill the event's fields, first value wins; every other param is
 * re-encoded into `eventParams`; unknown `__wt1*` params are dropped so they never leak.
 */
export function eventFromPixel(queryStrings: readonly string[], facts: RequestFacts): TrackedEvent {
  const reserved = new Map<string, string>();
  const custom: Array<[string, string]> = [];
  const onPair = (key: string, value: string): void => {
    if (key.startsWith('__wt1')) {
      if (!reserved.has(key)) reserved.set(key, value);
    } else {
      custom.push([key, value]);
    }
  };
  for (const qs of queryStrings) if (qs) forEachPair(qs, onPair);

  const loc = reserved.get('__wt1loc');
  return {
    serverTS: facts.now,
    clientTS: lenientInt(reserved.get('__wt1ts')),
    origAddress: facts.clientAddress,
    visitorId: nonEmpty(reserved.get('__wt1vic')) ?? generateId(),
    sessionId: nonEmpty(reserved.get('__wt1sic')) ?? generateId(),
    globalVisitorId: facts.globalVisitorId,
    // The snippet sends the full page URL (modern browsers send only the origin as Referer).
    page: nonEmpty(loc) ?? facts.referer ?? null,
    referer: reserved.get('__wt1ref') ?? null,
    ua: facts.userAgent ?? null,
    type: reserved.get('__wt1ty') ?? null,
    visitorParams: reserved.get('__wt1vpc') ?? null,
    sessionParams: reserved.get('__wt1spc') ?? null,
    eventParams: encodePairs(custom),
    browserWidth: lenientInt(reserved.get('__wt1bw')),
    browserHeight: lenientInt(reserved.get('__wt1bh')),
    screenWidth: lenientInt(reserved.get('__wt1sw')),
    screenHeight: lenientInt(reserved.get('__wt1sh')),
    browserLanguage: reserved.get('__wt1lang') ?? null,
    tzOffset: reserved.get('__wt1tzo') ?? null,
  };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
