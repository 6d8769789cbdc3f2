import { RingBuffer } from '../util/ring-buffer.js';

/**
 * The client's bounded buffer of events not yet sent. The rule when full: the oldest event is
 * dropped to make room for the newest, and counted (a tracker that stalls its host is worse than a
 * tracker that loses its oldest events during a long outage).
 */
export class EventBuffer<T> {
  private readonly items: RingBuffer<T>;
  private droppedCount = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`buffer capacity must be a positive integer, not ${capacity}`);
    this.items = new RingBuffer<T>(capacity);
  }

  get length(): number {
    return this.items.length;
  }

  /** Events dropped so far because the buffer was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Adds an item; returns true when the oldest item was dropped to make room. */
  push(item: T): boolean {
    const full = this.items.length === this.capacity;
    if (full) {
      this.items.shift(); // the oldest makes room
      this.droppedCount++;
    }
    this.items.push(item);
    return full;
  }

  /** Removes and returns up to `max` items, oldest first. */
  take(max: number): T[] {
    const n = Math.min(max, this.items.length);
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.items.shift() as T;
    return out;
  }
}
