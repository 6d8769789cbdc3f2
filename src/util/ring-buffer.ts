/**
 * A FIFO over a circular array that grows by doubling: O(1) `push`, `shift` and `unshift` (a retry
 * goes back to the front), no copying of the whole backlog on each shift as `Array.shift` does.
 * The one queue structure of wt1 (the processor queue, the NATS engine's buffer, the client's buffer).
 */
export class RingBuffer<T> {
  private items: Array<T | undefined>;
  private head = 0;
  private size = 0;

  constructor(initialCapacity = 16) {
    this.items = new Array(Math.max(1, initialCapacity));
  }

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.size === this.items.length) this.grow();
    this.items[(this.head + this.size) % this.items.length] = item;
    this.size++;
  }

  /** Puts an item back at the front (it comes out first). */
  unshift(item: T): void {
    if (this.size === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = item;
    this.size++;
  }

  /** Removes and returns the oldest item, undefined when empty. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined; // no reference kept to what left
    this.head = (this.head + 1) % this.items.length;
    this.size--;
    return item;
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.size === 0 ? undefined : this.items[this.head];
  }

  clear(): void {
    this.items = new Array(this.items.length);
    this.head = 0;
    this.size = 0;
  }

  private grow(): void {
    const old = this.items;
    const next: Array<T | undefined> = new Array(old.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = old[(this.head + i) % old.length];
    this.items = next;
    this.head = 0;
  }
}
