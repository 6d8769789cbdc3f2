interface Waiter {
  readonly target: number;
  readonly unsafe: number;
  readonly resolve: (ok: boolean) => void;
}

/**
 * `ackMode=durable` on the request thread: who waits for which event to be on disk. Events are
 * numbered in the order they are taken (the order the storage thread writes them); the thread
 * reports an in-order watermark of events whose fate is final, and a count of the unsafe ones
 * (failed, or written and not synced). A waiter is answered once the watermark passes its last
 * event: ok if nothing became unsafe meanwhile. That is conservative: an unsafe event of the same
 * group fails its neighbours' answers too (503, the sender may retry what was in fact kept), but
 * never acknowledges an event that is not on disk.
 */
export class DurableAcks {
  private taken = 0;
  private watermark = 0;
  private unsafe = 0;
  private readonly waiters: Waiter[] = [];
  private head = 0;

  /** One more event taken by the queue. */
  take(): void {
    this.taken++;
  }

  /** Resolves true once every event taken so far is on disk; false if one of them may not be. */
  wait(): Promise<boolean> {
    if (this.watermark >= this.taken) return Promise.resolve(true);
    return new Promise((resolve) => this.waiters.push({ target: this.taken, unsafe: this.unsafe, resolve }));
  }

  /** The storage side's progress: the watermark (events with a final fate) and the unsafe count. */
  update(watermark: number, unsafe: number): void {
    this.watermark = watermark;
    this.unsafe = unsafe;
    while (this.head < this.waiters.length && this.waiters[this.head].target <= watermark) {
      const w = this.waiters[this.head++];
      w.resolve(w.unsafe === unsafe);
    }
    if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
  }
}
