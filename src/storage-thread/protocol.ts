/**
 * The messages between the request thread and the storage thread (storage-thread.ts / worker.ts).
 * Events travel in batches of flat records (one array of strings and numbers per batch), which
 * structured cloning copies far faster than one object per event.
 */
import type { TrackedEvent } from '../event/event.js';
import { PixelHit, type HitFields, type Trackable } from '../event/pixel-hit.js';
import type { Config } from '../config/schema.js';
import type { InputAnswer } from '../inputs/input.js';
import type { InputRequestFacts } from '../inputs/request.js';

export interface StorageThreadData {
  readonly config: Config;
  readonly instanceId: string;
  /** The request thread's HIT_ID_PREFIX: ids generated for a hit are the same in both threads. */
  readonly hitIdPrefix: string;
  /** The request thread logger's level: the storage thread's lines are re-logged there. */
  readonly logLevel: string;
  /** The secret of the cookieless visitor hash (`visitorIdSalt`, or the request thread's random one). */
  readonly visitorIdSecret?: string;
}

/** Request thread -> storage thread. */
export type ToStorage =
  | { readonly type: 'events'; readonly records: unknown[] }
  | { readonly type: 'call'; readonly id: number; readonly method: 'open' | 'flush' | 'barrier' | 'close' }
  | ParseRequest;

/**
 * `inputParsing=storageThread`: parse one request of an input here (src/inputs/), out of turn (not
 * behind the batches being written); the events go back as records, and the request thread admits
 * them into the queues (whole or 503) as if it had parsed them itself.
 */
export interface ParseRequest {
  readonly type: 'parse';
  readonly id: number;
  readonly input: string;
  readonly request: InputRequestFacts;
  readonly body: Uint8Array | null;
}

/** The answer to a ParseRequest: the events as records (encodeRecord), or the error that refused it. */
export interface ParseReply {
  readonly type: 'parsed';
  readonly id: number;
  readonly records?: unknown[];
  readonly answer?: InputAnswer;
  readonly ignored?: number;
  readonly error?: ThreadError;
}

/** What the storage thread reports after each batch, with each reply, and every STATUS_INTERVAL_MS. */
export interface StorageStatus {
  /** Totals since start: events handed to the engine without error, and those it threw on. */
  readonly written: number;
  readonly failed: number;
  readonly stats: Readonly<Record<string, number>>;
  readonly ready: boolean;
  /** `ackMode=durable` only: the group commit's progress (group-commit.ts). */
  readonly durable?: DurableStatus;
}

export interface DurableStatus {
  /** Events (in order, since the thread started) whose fate is final: on disk, or failed. */
  readonly synced: number;
  /** Of those, the ones written whose sync failed (the written ones that failed are in `failed`). */
  readonly unsafe: number;
  /** The syncs since the previous status, as pairs: duration in ms, events in the group. */
  readonly syncs: readonly number[];
  /** The write-ahead spool (engines that send elsewhere): its bytes on disk, and whether it is full. */
  readonly spoolBytes?: number;
  readonly spoolFull?: boolean;
}

/** Storage thread -> request thread. */
export type FromStorage =
  | ({ readonly type: 'status' } & StorageStatus)
  | ({
      readonly type: 'reply';
      readonly id: number;
      readonly value?: unknown;
      readonly error?: ThreadError;
    } & StorageStatus)
  | { readonly type: 'log'; readonly line: string }
  | ParseReply;

export interface ThreadError {
  readonly message: string;
  /** A Wt1Error's code, rebuilt as a Wt1Error on the other side. */
  readonly code?: string;
}

export const STATUS_INTERVAL_MS = 500;

const HIT = 0;
const EVENT = 1;
/** Values per record, its kind included (encodeRecord pushes them, decodeRecord reads them). */
const HIT_LENGTH = 9;
export const EVENT_LENGTH = 20;

/** Appends one event or hit to a batch of records. */
export function encodeRecord(out: unknown[], item: Trackable): void {
  if (item instanceof PixelHit) {
    const q = item.queryStrings;
    out.push(
      HIT,
      q[0] ?? '',
      q.length > 1 ? q[1] : null,
      item.now,
      item.clientAddress,
      item.rawReferer ?? null,
      item.rawUserAgent ?? null,
      item.globalVisitorId,
      item.seq,
    );
    return;
  }
  out.push(EVENT);
  pushEventFields(out, item);
}

/** The TrackedEvent's fields in their fixed order: an EVENT record's body and a durable spool line (spool-line.ts). */
export function pushEventFields(out: unknown[], e: TrackedEvent): void {
  out.push(
    e.serverTS,
    e.clientTS,
    e.origAddress,
    e.visitorId,
    e.sessionId,
    e.globalVisitorId,
    e.page,
    e.referer,
    e.ua,
    e.type,
    e.visitorParams,
    e.sessionParams,
    e.eventParams,
    e.browserWidth,
    e.browserHeight,
    e.screenWidth,
    e.screenHeight,
    e.browserLanguage,
    e.tzOffset,
  );
}

/** Calls `onHit` or `onEvent` for each record of a batch, in order. */
export function decodeRecords(
  records: readonly unknown[],
  onHit: (hit: HitFields) => void,
  onEvent: (event: TrackedEvent) => void,
): void {
  for (let i = 0; i < records.length; ) i = decodeRecord(records, i, onHit, onEvent);
}

/** The index of the record after the one at `at`. */
export function nextRecord(records: readonly unknown[], at: number): number {
  return at + (records[at] === HIT ? HIT_LENGTH : EVENT_LENGTH);
}

/** Calls `onHit` or `onEvent` for the record at index `at` of a batch; returns the next record's index. */
export function decodeRecord(
  records: readonly unknown[],
  at: number,
  onHit: (hit: HitFields) => void,
  onEvent: (event: TrackedEvent) => void,
): number {
  const r = records as Array<string & number & null>;
  const i = at;
  if (r[i] === HIT) {
    const q1 = r[i + 2];
    onHit({
      queryStrings: q1 === null ? [r[i + 1]] : [r[i + 1], q1],
      now: r[i + 3],
      clientAddress: r[i + 4],
      rawReferer: r[i + 5] ?? undefined,
      rawUserAgent: r[i + 6] ?? undefined,
      globalVisitorId: r[i + 7],
      seq: r[i + 8],
    });
    return i + HIT_LENGTH;
  }
  onEvent(eventAt(r, i + 1));
  return i + EVENT_LENGTH;
}

/** Fields written by pushEventFields, read back from index `i` (the reverse, in the same order). */
export function eventAt(fields: readonly unknown[], i: number): TrackedEvent {
  const r = fields as Array<string & number & null>;
  return {
    serverTS: r[i],
    clientTS: r[i + 1],
    origAddress: r[i + 2],
    visitorId: r[i + 3],
    sessionId: r[i + 4],
    globalVisitorId: r[i + 5],
    page: r[i + 6],
    referer: r[i + 7],
    ua: r[i + 8],
    type: r[i + 9],
    visitorParams: r[i + 10],
    sessionParams: r[i + 11],
    eventParams: r[i + 12],
    browserWidth: r[i + 13],
    browserHeight: r[i + 14],
    screenWidth: r[i + 15],
    screenHeight: r[i + 16],
    browserLanguage: r[i + 17],
    tzOffset: r[i + 18],
  };
}
