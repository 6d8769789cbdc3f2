/**
 * The client's bounded buffer of events not yet sent. The rule when full: the oldest event is
 * dropped to make room for the newest, and counted (a tracker that stalls its host is worse than a
 * tracker that loses its oldest events during a long outage).
 */
export class EventBuffer<T> {
  private items: Array<T | undefined>;
  private head = 0;
  private size = 0;
  private droppedCount = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`buffer capacity must be a positive integer, not ${capacity}`);
    this.items = new Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Events dropped so far because the buffer was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Adds an item; returns true when the oldest item was dropped to make room. */
  push(item: T): boolean {
    const tail = (this.head + this.size) % this.capacity;
    if (this.size === this.capacity) {
      this.items[tail] = item; // tail === head: overwrite the oldest
      this.head = (this.head + 1) % this.capacity;
      this.droppedCount++;
      return true;
    }
    this.items[tail] = item;
    this.size++;
    return false;
  }

  /** Removes and returns up to `max` items, oldest first. */
  take(max: number): T[] {
    const n = Math.min(max, this.size);
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.items[this.head] as T;
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
    }
    this.size -= n;
    return out;
  }
}
