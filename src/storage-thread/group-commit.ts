import { performance } from 'node:perf_hooks';

/**
 * `ackMode=durable` on the storage thread: one engine sync at a time, and every event settled
 * (written or failed) while a sync runs waits for the next one, so a busy collector pays one
 * fdatasync per group, not per event. `synced` is an in-order watermark: every event before it
 * has a final fate; `unsafe` counts those that were written but whose sync failed.
 */
export class GroupCommit {
  private settled = 0;
  private running = false;
  synced = 0;
  unsafe = 0;

  constructor(
    private readonly sync: () => Promise<void>,
    /** After each sync: how many events it covered and how long it took (ms); `ok` false if it failed. */
    private readonly onSynced: (group: number, ms: number, ok: boolean) => void,
  ) {}

  /** The writer has settled `count` events in all (in order): they are in the next group. */
  advance(count: number): void {
    this.settled = count;
    if (!this.running) void this.loop();
  }

  /** Settles everything so far without a sync (after the engine's close, which syncs its files). */
  settleAll(count: number): void {
    this.settled = count;
    if (!this.running) this.synced = count;
  }

  private async loop(): Promise<void> {
    this.running = true;
    while (this.synced < this.settled) {
      const target = this.settled;
      const group = target - this.synced;
      const started = performance.now();
      let ok = true;
      try {
        await this.sync();
      } catch {
        ok = false;
        this.unsafe += group;
      }
      this.synced = target;
      this.onSynced(group, performance.now() - started, ok);
    }
    this.running = false;
  }
}
