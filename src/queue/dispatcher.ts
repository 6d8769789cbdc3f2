import type { Logger } from 'pino';
import type { TrackedEvent } from '../event/event.js';
import { BoundedQueue, type EventQueue, type QueueCounters } from './bounded-queue.js';
import { eventOf, type Trackable } from '../event/pixel-hit.js';
import type { StorageEngine } from '../storage/engine.js';
import type { Handler } from '../handlers/handler.js';
import { failureLogger } from './failure-log.js';

export type Processor =
  | { readonly kind: 'storage'; readonly name: string; readonly engineName: string; readonly engine: StorageEngine; readonly queue: EventQueue }
  | { readonly kind: 'handler'; readonly name: string; readonly handlerKind: string; readonly handler: Handler; readonly queue: BoundedQueue };

/** How many recent events /internal/live shows. */
export const LAST_EVENTS = 100;

/**
 * Offers each event to every processor's queue (the storage and each handler) and keeps the last
 * events for /internal/live. Never waits: a full queue drops the event for that processor only.
 */
export class Dispatcher {
  readonly processors: Processor[] = [];
  private receivedEvents = 0;
  private readonly last: Array<Trackable | undefined> = new Array(LAST_EVENTS);
  private lastHead = 0;
  private readonly onFailure: (processor: string, error: unknown) => void;

  constructor(logger: Logger, private readonly capacity: number, private readonly maxBytes = 0) {
    this.onFailure = failureLogger(logger);
  }

  /**
   * A storage engine on this thread behind a BoundedQueue, or, with `queue`, one that brings its own
   * queue (the storage thread: src/storage/thread.ts, which is both the queue and the engine).
   */
  addStorage(name: string, engineName: string, engine: StorageEngine, queue?: EventQueue): void {
    queue ??= new BoundedQueue(name, { process: (e) => engine.write(e) }, this.capacity, (err) => this.onFailure(name, err), this.maxBytes);
    this.processors.push({ kind: 'storage', name, engineName, engine, queue });
  }

  addHandler(name: string, handlerKind: string, handler: Handler): void {
    const queue = new BoundedQueue(name, { process: (e) => handler.process(e) }, this.capacity, (err) => this.onFailure(name, err), this.maxBytes);
    this.processors.push({ kind: 'handler', name, handlerKind, handler, queue });
  }

  /**
   * Offers one event, or one pixel hit, to every processor. A hit is parsed here only if a queue on
   * this thread needs the event (once for all of them); the storage thread takes it unparsed.
   */
  track(item: Trackable): void {
    this.receivedEvents++;
    this.last[this.lastHead] = item;
    this.lastHead = (this.lastHead + 1) % LAST_EVENTS;
    let event: TrackedEvent | undefined;
    for (let i = 0; i < this.processors.length; i++) {
      const queue = this.processors[i].queue;
      queue.offer(queue.takesHits ? item : (event ??= eventOf(item)));
    }
  }

  get received(): number {
    return this.receivedEvents;
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
