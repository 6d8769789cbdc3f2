import type { Logger } from 'pino';
import type { TrackedEvent } from '../event/event.js';
import { BoundedQueue } from './bounded-queue.js';
import type { Consumer, EventQueue, QueueCounters } from './event-queue.js';
import { eventOf, itemBytes, type Trackable } from '../event/pixel-hit.js';
import { failureLogger } from './failure-log.js';

/** What the dispatcher needs of a processor: its name and its queue. What it feeds is the caller's business. */
export interface QueuedProcessor {
  readonly name: string;
  readonly queue: EventQueue;
}

/** How many recent events /internal/live shows. */
export const LAST_EVENTS = 100;

/**
 * Offers each event to every processor's queue (the storage and each handler) and keeps the last
 * events for /internal/live. Never waits: `track` drops an event for a full queue only (the pixel's
 * rule), `admit` takes a group of events whole or not at all (the JSON API's rule).
 */
export class Dispatcher<P extends QueuedProcessor = QueuedProcessor> {
  readonly processors: P[] = [];
  private receivedEvents = 0;
  private refusedEvents = 0;
  private readonly last: Array<Trackable | undefined> = new Array(LAST_EVENTS);
  private lastHead = 0;
  private readonly onFailure: (processor: string, error: unknown) => void;

  constructor(
    logger: Logger,
    private readonly capacity: number,
    private readonly maxBytes = 0,
  ) {
    this.onFailure = failureLogger(logger);
  }

  /** A queue on this thread in front of `consumer`, with this dispatcher's bounds and failure log. */
  boundedQueue(name: string, consumer: Consumer): BoundedQueue {
    return new BoundedQueue(name, consumer, this.capacity, (err) => this.onFailure(name, err), this.maxBytes);
  }

  add(processor: P): void {
    this.processors.push(processor);
    if (processor.queue.whenDurable) this.durableQueues.push(processor.queue);
  }
  private readonly durableQueues: EventQueue[] = [];

  /**
   * `ackMode=durable`: true once every event admitted so far is on disk in every queue that keeps
   * them (the storage), false if one may not be (the `events` just admitted are then counted in
   * `unconfirmed`). Called right after `admit`, it covers those events.
   */
  async whenDurable(events: number): Promise<boolean> {
    const ok =
      this.durableQueues.length === 1
        ? await this.durableQueues[0].whenDurable!()
        : (await Promise.all(this.durableQueues.map((q) => q.whenDurable!()))).every(Boolean);
    if (!ok) this.unconfirmedEvents += events;
    return ok;
  }
  private unconfirmedEvents = 0;

  /** `ackMode=durable`: events admitted whose sender was answered 503 because they may not be on disk. */
  get unconfirmed(): number {
    return this.unconfirmedEvents;
  }

  /**
   * Offers one event, or one pixel hit, to every processor. A hit is parsed here only if a queue on
   * this thread needs the event (once for all of them); the storage thread takes it unparsed.
   */
  track(item: Trackable, admitted = false): void {
    this.receivedEvents++;
    this.last[this.lastHead] = item;
    this.lastHead = (this.lastHead + 1) % LAST_EVENTS;
    let event: TrackedEvent | undefined;
    for (let i = 0; i < this.processors.length; i++) {
      const queue = this.processors[i].queue;
      queue.offer(queue.takesHits ? item : (event ??= eventOf(item)), admitted);
    }
  }

  /**
   * All-or-nothing admission: when every processor's queue can take all of `items` (count and
   * bytes), offers them all and returns true; otherwise offers none, counts them as refused and
   * returns false (the caller answers 503 so that the sender retries). Check and offers run in one
   * synchronous turn, so nothing can fill a queue between them. An empty queue takes any one group
   * (QueueBound.fits): a message larger than the bound passes it by at most itself.
   */
  admit(items: readonly Trackable[]): boolean {
    if (items.length === 0) return true;
    let bytes = 0;
    for (let i = 0; i < items.length; i++) bytes += itemBytes(items[i]);
    for (let i = 0; i < this.processors.length; i++) {
      if (!this.processors[i].queue.fits(items.length, bytes)) {
        this.refusedEvents += items.length;
        return false;
      }
    }
    for (let i = 0; i < items.length; i++) this.track(items[i], true);
    return true;
  }

  get received(): number {
    return this.receivedEvents;
  }

  /** Events refused by `admit` (never received: their sender was told to retry). */
  get refused(): number {
    return this.refusedEvents;
  }

  /** The last events received, newest first. */
  lastEvents(): TrackedEvent[] {
    const out: TrackedEvent[] = [];
    for (let i = 1; i <= LAST_EVENTS; i++) {
      const item = this.last[(this.lastHead - i + LAST_EVENTS) % LAST_EVENTS];
      if (item === undefined) break;
      out.push(eventOf(item));
    }
    return out;
  }

  counters(): Record<string, QueueCounters> {
    const out: Record<string, QueueCounters> = {};
    for (const p of this.processors) out[p.name] = p.queue.counters();
    return out;
  }

  /** Resolves when everything offered so far has been processed by every queue. */
  async drain(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.queue.barrier()));
  }
}
