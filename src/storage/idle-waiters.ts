/**
 * Callers of an engine's `flush` / `close` waiting until nothing is pending (every accepted event
 * acknowledged or given up), each for at most its own timeout. The engine calls `wake` whenever it
 * may have become idle.
 */
export class IdleWaiters {
  private waiters: Array<() => void> = [];

  /** Resolves once `wake(true)` is called, or after `timeoutMs`; at once when `idle`. */
  wait(idle: boolean, timeoutMs: number): Promise<void> {
    if (idle) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.push(done);
    });
  }

  /** Releases every waiter when `idle`. */
  wake(idle: boolean): void {
    if (!idle || this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
