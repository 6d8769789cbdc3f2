/**
 * The rule of the engines that send to a remote service from a bounded buffer (kafka, nats): when
 * the buffer is full while the service answers, the write waits for room, so the storage queue
 * fills and the JSON API answers 503 instead of a 200 for an event the engine would drop; only
 * while the service is away (or at close) does a full buffer drop events, counted.
 *
 * The queue never calls `write` concurrently, so there is at most one waiting write.
 */
export class RoomWaiter {
  private waiter: (() => void) | undefined;

  /** Resolves once `wake` is called with `mayGo`; the caller then writes again (and may drop). */
  wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Lets the waiting write go on when there is room, or when it must be dropped (service away, closing). */
  wake(mayGo: boolean): void {
    const waiter = this.waiter;
    if (waiter === undefined || !mayGo) return;
    this.waiter = undefined;
    waiter();
  }
}
