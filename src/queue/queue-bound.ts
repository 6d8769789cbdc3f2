/**
 * The bound of one processor's queue: at most `capacity` events waiting (counting the one being
 * processed) and, when `maxBytes` > 0 (`maxQueueBytes`), at most that much of their text
 * (itemBytes). Used by every EventQueue, so the rule is written once. `fits` answers for a whole
 * group of events (all-or-nothing admission of an API message) as for one.
 */
export class QueueBound {
  /** Events held now, and their text (only counted when `tracksBytes`). */
  count = 0;
  bytes = 0;
  readonly tracksBytes: boolean;

  constructor(
    readonly capacity: number,
    readonly maxBytes = 0,
  ) {
    this.tracksBytes = maxBytes > 0;
  }

  /**
   * Whether `count` more events of `bytes` text fit. An empty queue takes any one group: an event
   * (or a message) larger than the whole bound would otherwise never get through.
   */
  fits(count: number, bytes: number): boolean {
    if (this.count === 0) return true;
    if (this.count + count > this.capacity) return false;
    return !this.tracksBytes || this.bytes + bytes <= this.maxBytes;
  }

  take(count: number, bytes: number): void {
    this.count += count;
    this.bytes += bytes;
  }

  release(count: number, bytes: number): void {
    this.count -= count;
    this.bytes -= bytes;
  }
}
