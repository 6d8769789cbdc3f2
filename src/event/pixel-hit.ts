import { randomBytes } from 'node:crypto';
import type { TrackedEvent } from './event.js';
import { eventFromPixel } from './from-pixel.js';

/**
 * What the pixel captures of one hit on the request path: its query string(s) and request facts,
 * not yet parsed. Parsing, formatting and compressing happen later, on the storage thread when
 * there is one (src/storage-thread/), so answering a visitor costs little more than answering
 * /public/nothing. `event()` builds the TrackedEvent here when a processor on this thread needs it
 * (a handler, /internal/live), once.
 */
export class PixelHit implements HitFields {
  private built: TrackedEvent | undefined;

  constructor(
    /** The GET query, then the POST form body if any, URL-encoded as received. */
    readonly queryStrings: readonly string[],
    readonly now: number,
    readonly clientAddress: string,
    /** Referer and User-Agent as Node hands them over (latin1, one char per byte). */
    readonly rawReferer: string | undefined,
    readonly rawUserAgent: string | undefined,
    readonly globalVisitorId: string | null,
    /** Numbers this hit, so that ids generated for it are the same in every thread (see hitIds). */
    readonly seq: number,
  ) {}

  event(): TrackedEvent {
    return (this.built ??= eventFromHit(this, HIT_ID_PREFIX));
  }
}

/** What every processor is offered: an event, or a pixel hit still to be parsed. */
export type Trackable = TrackedEvent | PixelHit;

/**
 * About how much memory an item holds while it waits in a queue (its text: one byte a character,
 * plus a fixed overhead), for `maxQueueBytes`. Hits are measured raw, events by their fields.
 */
export function itemBytes(item: Trackable): number {
  if (item instanceof PixelHit) {
    let n = 64 + (item.rawReferer?.length ?? 0) + (item.rawUserAgent?.length ?? 0);
    for (const q of item.queryStrings) n += q.length;
    return n;
  }
  return (
    128 +
    item.visitorId.length +
    item.sessionId.length +
    (item.page?.length ?? 0) +
    (item.referer?.length ?? 0) +
    (item.ua?.length ?? 0) +
    (item.type?.length ?? 0) +
    (item.visitorParams?.length ?? 0) +
    (item.sessionParams?.length ?? 0) +
    (item.eventParams?.length ?? 0) +
    (item.browserLanguage?.length ?? 0) +
    (item.tzOffset?.length ?? 0)
  );
}

export function eventOf(item: Trackable): TrackedEvent {
  return item instanceof PixelHit ? item.event() : item;
}

/** The fields of a hit, whichever thread holds them. */
export interface HitFields {
  readonly queryStrings: readonly string[];
  readonly now: number;
  readonly clientAddress: string;
  readonly rawReferer: string | undefined;
  readonly rawUserAgent: string | undefined;
  readonly globalVisitorId: string | null;
  readonly seq: number;
}

/**
 * Builds the event of a hit. `idPrefix` is this process's HIT_ID_PREFIX (handed to the storage
 * thread at start): visitor and session ids generated for a hit without cookies are derived from it
 * and the hit's number, so the line in the file, /internal/live and the handlers agree on them.
 */
export function eventFromHit(hit: HitFields, idPrefix: string): TrackedEvent {
  return eventFromPixel(hit.queryStrings, {
    now: hit.now,
    clientAddress: hit.clientAddress,
    referer: headerText(hit.rawReferer),
    userAgent: headerText(hit.rawUserAgent),
    globalVisitorId: hit.globalVisitorId,
    generatedIds: hitIds(idPrefix, hit.seq),
  });
}

/**
 * `Z` + 16 random hex digits per process, completed by 16 hex digits numbering the hit: ids keep
 * WT1's `Z` + 32 hex shape, never repeat within a process, and differ between processes.
 */
export const HIT_ID_PREFIX = 'Z' + randomBytes(8).toString('hex');

let nextSeq = 0;
/** The next hit number of this process. */
export function nextHitSeq(): number {
  return nextSeq++;
}

function hitIds(prefix: string, seq: number): () => [visitorId: string, sessionId: string] {
  return () => [
    prefix + (2 * seq).toString(16).padStart(16, '0'),
    prefix + (2 * seq + 1).toString(16).padStart(16, '0'),
  ];
}

const BEYOND_ASCII = /[^\x00-\x7f]/;

/**
 * Node hands header values over as latin1 (one char per byte); browsers send UTF-8. Re-reads the
 * bytes as UTF-8 when there are any beyond ASCII (invalid sequences become U+FFFD).
 */
export function headerText(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return BEYOND_ASCII.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
}
