import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { TrackedEvent } from '../event/event.js';
import type { StorageEngine } from '../storage/engine.js';
import { FailureStreak } from '../storage/failure-streak.js';
import { backoffDelay } from '../util/backoff.js';
import { eventLine } from './spool-line.js';
import { SegmentFiles, type Segment } from './spool-segments.js';

export interface DurableSpoolOptions {
  /** The folder of this collector's segments (durable.spoolDir/INSTANCE). */
  readonly dir: string;
  /** durable.maxSpoolBytes: past it, events are refused (the request side answers 503). */
  readonly maxBytes: number;
  /** First part of every message id (the folder's name): `PREFIX-TAG-LINE`. */
  readonly idPrefix: string;
  readonly logger: Logger;
  /** The spool shrank (segments removed): the request side should hear it soon. */
  readonly onRemoved: () => void;
}

/** A segment on disk, with its events while in memory, and where the feeder ended it. */
interface Held {
  readonly segment: Segment;
  /** By line number; undefined once handed to the engine, or dropped to bound memory (read back when needed). */
  events: Array<TrackedEvent | undefined> | undefined;
  /** Once every event of a closed segment is accepted by the engine: the accepted count at its end. */
  fedEnd: number | undefined;
  /** Left by an earlier run (its events are replays). */
  readonly replay: boolean;
}

/** Segments closed and not yet fed whose events stay in memory; older ones are read back from disk. */
const MEMORY_SEGMENTS = 2;
const CONFIRM_POLL_MS = 50;

/**
 * The write-ahead spool of ackMode=durable for an engine that sends elsewhere (one with
 * `confirmed()` and no `sync()`): each batch's events are appended to segment files and synced
 * by the group commit (the request side waits for that, as with the fs engine), then written to the
 * engine, in order, with stable message ids (`PREFIX-TAG-LINE`); a segment is removed once the
 * engine's in-order `confirmed()` count covers all its events. A write the engine refuses (buffer
 * full while its server is away) is tried again after a backoff: the spool, not the engine's
 * memory, holds an outage's backlog, up to `maxBytes`. Segments left by a crash are written first
 * at the next start, with the same ids, so the broker (or a reader) drops what was already sent.
 */
export class DurableSpool {
  private readonly files: SegmentFiles;
  private readonly held: Held[] = [];
  private feedAt = 0;
  private feedLine = 0;
  private feeding = false;
  private appending = false;
  private removing = false;
  private stopped = false;
  private accepted = 0;
  private readonly failures = new FailureStreak();
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  readonly counters = {
    durableSpoolReplayedEvents: 0,
    durableSpoolRefused: 0,
    durableSpoolWriteErrors: 0,
    durableSpoolRetries: 0,
    durableSpoolUnreadableLines: 0,
    durableSpoolRemovedSegments: 0,
  };
  /** The last append failed (disk): not ready until one succeeds. */
  failing = false;

  constructor(
    private readonly engine: StorageEngine,
    private readonly options: DurableSpoolOptions,
  ) {
    // Small enough that removal follows confirmation closely and that a test's small bound spans several.
    const segmentBytes = Math.max(4 * 1024, Math.min(4 * 1024 * 1024, Math.floor(options.maxBytes / 16)));
    this.files = new SegmentFiles(options.dir, segmentBytes);
  }

  get bytes(): number {
    return this.files.bytes;
  }

  /**
   * Set when an append could not keep everything (maxBytes reached), cleared once confirmed segments
   * are removed: meanwhile the request side refuses whole messages (503).
   */
  full = false;

  /** Claims the folder and finds the segments an earlier run left (before the engine opens). */
  async open(): Promise<void> {
    const left = await this.files.open();
    for (const segment of left) this.held.push({ segment, events: undefined, fedEnd: undefined, replay: true });
    if (left.length > 0)
      this.options.logger.info(
        { segments: left.length, bytes: this.files.bytes, spool: this.options.dir },
        'durable spool: sending the events an earlier run left (same message ids: copies are dropped by id)',
      );
  }

  /** Starts writing to the engine (once it is open): the leftovers first. */
  start(): void {
    this.timer = setInterval(() => void this.removeConfirmed(), CONFIRM_POLL_MS);
    this.timer.unref();
    this.kick();
  }

  /**
   * Appends events to the spool, in order; returns how many were kept: those past maxBytes are
   * refused, and a write error refuses the rest (both counted, answered 503 by the request side).
   */
  async append(events: readonly TrackedEvent[]): Promise<number> {
    let text = '';
    let kept = 0;
    let room = this.options.maxBytes - this.files.bytes;
    for (; kept < events.length; kept++) {
      const line = eventLine(events[kept]);
      const size = Buffer.byteLength(line);
      if (size > room) break;
      room -= size;
      text += line;
    }
    if (kept < events.length) {
      this.counters.durableSpoolRefused += events.length - kept;
      this.full = true;
    }
    if (kept === 0) return 0;
    this.appending = true;
    let segment: Segment;
    try {
      segment = await this.files.append(text, kept);
    } catch (error) {
      this.counters.durableSpoolWriteErrors++;
      if (!this.failing)
        this.options.logger.error({ err: error, spool: this.options.dir }, 'durable spool write failed');
      this.failing = true;
      return 0;
    } finally {
      this.appending = false;
    }
    this.failing = false;
    this.hold(segment, events, kept);
    this.kick();
    return kept;
  }

  /** Resolves once the lines appended so far are on disk (the group commit's sync). */
  sync(): Promise<void> {
    return this.files.sync();
  }

  /**
   * Waits (up to `ms`) until every event spooled so far is confirmed by the engine; gives up sooner
   * when nothing is confirmed for half a second, or a quarter of `ms` (the server is away: the events
   * are safe on disk, and a shutdown should not spend its deadline waiting for it).
   */
  async drain(ms: number): Promise<void> {
    const until = Date.now() + ms;
    let last = this.engine.confirmed!();
    let movedAt = Date.now();
    const patience = Math.min(500, ms / 4);
    while (!this.drained() && Date.now() < until && Date.now() - movedAt < patience) {
      await sleep(10);
      await this.removeConfirmed();
      const confirmed = this.engine.confirmed!();
      if (confirmed !== last) {
        last = confirmed;
        movedAt = Date.now();
      }
    }
  }

  /** Stops writing to the engine (before its close); what is not confirmed stays on disk. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** After the engine's close: removes what it confirmed, syncs and closes the files. */
  async close(): Promise<void> {
    this.stop();
    if (this.timer) clearInterval(this.timer);
    while (this.feeding || this.removing) await sleep(5);
    await this.removeConfirmed();
    await this.files.close();
    const left = this.held.length;
    if (left > 0)
      this.options.logger.warn(
        { segments: left, bytes: this.files.bytes, spool: this.options.dir },
        'durable spool: events not confirmed yet stay on disk; they are sent at the next start',
      );
  }

  stats(): Record<string, number> {
    return {
      ...this.counters,
      durableSpoolBytes: this.files.bytes,
      durableSpoolSegments: this.held.length,
      durableSpoolSentEvents: this.accepted,
    };
  }

  private drained(): boolean {
    return this.held.length === 0 || (this.fedToEnd() && this.engine.confirmed!() >= this.accepted);
  }

  /** The feeder has handed every spooled event to the engine. */
  private fedToEnd(): boolean {
    if (this.feedAt >= this.held.length) return true;
    const events = this.held[this.feedAt].events;
    return this.feedAt === this.held.length - 1 && events !== undefined && this.feedLine === events.length;
  }

  private hold(segment: Segment, events: readonly TrackedEvent[], kept: number): void {
    let last = this.held[this.held.length - 1];
    if (last?.segment !== segment) {
      last = { segment, events: [], fedEnd: undefined, replay: false };
      this.held.push(last);
      // Bound memory: a closed segment far ahead of the feeder is read back from disk when reached.
      const closed = this.held.length - 2;
      if (closed - this.feedAt >= MEMORY_SEGMENTS && !this.held[closed].replay) this.held[closed].events = undefined;
    }
    const list = last.events!;
    for (let i = 0; i < kept; i++) list.push(events[i]);
  }

  private kick(): void {
    if (!this.feeding && !this.stopped) void this.feed();
  }

  /** Writes the spooled events to the engine, in order, until it has them all. */
  private async feed(): Promise<void> {
    this.feeding = true;
    let sinceYield = 0;
    try {
      while (!this.stopped) {
        const held = this.held[this.feedAt];
        if (held === undefined) break;
        held.events ??= await this.readBack(held);
        const events = held.events;
        if (this.feedLine < events.length) {
          const event = events[this.feedLine];
          if (event === undefined) this.counters.durableSpoolUnreadableLines++;
          else if (!(await this.write(event, `${this.options.idPrefix}-${held.segment.tag}-${this.feedLine}`)))
            continue; // refused: the same event again after the backoff (or stopped)
          else if (held.replay) this.counters.durableSpoolReplayedEvents++;
          this.feedLine++;
          if (++sinceYield >= 256) {
            sinceYield = 0;
            await new Promise((resolve) => setImmediate(resolve)); // let the batches in
          }
          continue;
        }
        if (!held.segment.closed) break; // the open segment: more comes with the next append
        held.fedEnd = this.accepted;
        held.events = undefined;
        this.feedAt++;
        this.feedLine = 0;
      }
    } finally {
      this.feeding = false;
    }
  }

  /** One write to the engine; false (after a backoff) if it refused the event. */
  private async write(event: TrackedEvent, id: string): Promise<boolean> {
    try {
      const pending = this.engine.write(event, id);
      if (pending !== undefined) await pending;
      this.accepted++;
      if (this.failures.inARow > 0)
        this.options.logger.info({ refusals: this.failures.succeed() }, 'durable spool: the engine takes events again');
      return true;
    } catch (error) {
      if (this.stopped) return false;
      this.counters.durableSpoolRetries++;
      if (this.failures.fail(Date.now()))
        this.options.logger.warn(
          { err: error },
          'durable spool: the engine refused an event; it stays spooled, tried again',
        );
      const ms = backoffDelay(this.failures.inARow, { initialDelay: 20, maxDelay: 1000, jitter: false });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms).unref();
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      return false;
    }
  }

  private async readBack(held: Held): Promise<Array<TrackedEvent | undefined>> {
    try {
      return await this.files.read(held.segment);
    } catch (error) {
      // Gone or unreadable: nothing of it can be sent; the segment is removed like a confirmed one.
      this.options.logger.error({ err: error, segment: held.segment.path }, 'durable spool: a segment cannot be read');
      held.segment.closed = true;
      return [];
    }
  }

  /** Removes, oldest first, the segments whose every event the engine confirmed. */
  private async removeConfirmed(): Promise<void> {
    if (this.removing || this.held.length === 0) return;
    this.removing = true;
    let removed = 0;
    try {
      const confirmed = this.engine.confirmed!();
      while (this.held.length > 0) {
        const held = this.held[0];
        // The open segment too, once all its events are confirmed: an idle spool is empty.
        const idleEnd =
          this.held.length === 1 && !this.feeding && !this.appending && this.fedToEnd() ? this.accepted : undefined;
        const end = held.fedEnd ?? idleEnd;
        if (end === undefined || confirmed < end) break;
        await this.files.remove(held.segment);
        this.held.shift();
        if (this.feedAt > 0) this.feedAt--;
        else this.feedLine = 0;
        removed++;
      }
    } catch (error) {
      this.options.logger.error({ err: error, spool: this.options.dir }, 'durable spool: removing a segment failed');
    } finally {
      this.removing = false;
    }
    if (removed > 0) {
      this.full = false;
      this.counters.durableSpoolRemovedSegments += removed;
      this.options.onRemoved();
    }
  }
}
