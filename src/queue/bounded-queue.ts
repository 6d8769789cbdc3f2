import type { TrackedEvent } from '../event/event.js';
import { eventOf, itemBytes, type Trackable } from '../event/pixel-hit.js';
import type { Consumer, EventQueue, QueueCounters } from './event-queue.js';
import { QueueBound } from './queue-bound.js';
import { RingBuffer } from '../util/ring-buffer.js';

type Barrier = { barrier: () => void };
type Item = TrackedEvent | Barrier;

/**
 * A bounded FIFO in front of one consumer. `offer` never waits: when `capacity` events are already
 * waiting (counting the one being processed), or their text would pass `maxBytes`, the event is
 * dropped and counted. The consumer runs asynchronously, one event at a time; one that throws
 * counts that event as failed and goes on.
 */
export class BoundedQueue implements EventQueue {
  readonly takesHits = false;
  private readonly ring: RingBuffer<Item>;
  private events = 0; // events (not barriers) in the ring
  private inFlight = 0;
  private running = false;
  /** Events waiting or in progress, and their text when `maxQueueBytes` is set. */
  private readonly bound: QueueBound;
  private received = 0;
  private written = 0;
  private dropped = 0;
  private failed = 0;

  constructor(
    readonly name: string,
    private readonly consumer: Consumer,
    readonly capacity: number,
    private readonly onError: (error: unknown, event: TrackedEvent) => void = () => {},
    /** `maxQueueBytes`: 0 for no byte bound. */
    maxBytes = 0,
  ) {
    this.bound = new QueueBound(capacity, maxBytes);
    // Room for barriers beyond the event capacity; the ring grows if ever needed.
    this.ring = new RingBuffer<Item>(capacity + 16);
  }

  /** Offers one event; returns false when it was dropped because the queue is full. */
  offer(item: Trackable, admitted = false): boolean {
    this.received++;
    const event = eventOf(item);
    const size = this.bound.tracksBytes ? itemBytes(event) : 0;
    if (!admitted && !this.bound.fits(1, size)) {
      this.dropped++;
      return false;
    }
    this.bound.take(1, size);
    this.ring.push(event);
    this.events++;
    this.schedule();
    return true;
  }

  fits(count: number, bytes: number): boolean {
    return this.bound.fits(count, bytes);
  }

  /** Resolves once every event offered before this call has been processed (written or failed). */
  barrier(): Promise<void> {
    return new Promise((resolve) => {
      this.ring.push({ barrier: resolve });
      this.schedule();
    });
  }

  counters(): QueueCounters {
    return {
      received: this.received,
      queued: this.events + this.inFlight,
      written: this.written,
      dropped: this.dropped,
      failed: this.failed,
      capacity: this.capacity,
    };
  }

  private schedule(): void {
    if (this.running) return;
    this.running = true;
    // Never run the consumer inside the request handler that offered the event.
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    let sinceYield = 0;
    for (;;) {
      // A synchronous consumer would otherwise hold the event loop for a whole backlog.
      if (++sinceYield === 512) {
        sinceYield = 0;
        await new Promise<void>((r) => setImmediate(r));
      }
      const item = this.ring.shift();
      if (item === undefined) break;
      if ('barrier' in item) {
        item.barrier();
        continue;
      }
      this.events--;
      this.inFlight = 1;
      try {
        const pending = this.consumer.process(item);
        if (pending !== undefined) await pending;
        this.written++;
      } catch (error) {
        this.failed++;
        this.onError(error, item);
      }
      this.inFlight = 0;
      this.bound.release(1, this.bound.tracksBytes ? itemBytes(item) : 0);
    }
    this.running = false;
  }
}
