import type { QueueCounters } from './event-queue.js';

/** A queue the watchdog looks at: any processor's. */
export interface Watched {
  readonly name: string;
  readonly queue: { counters(): QueueCounters };
}

/** A processor that has events queued and has finished none of them for the timeout. */
export interface Stall {
  readonly processor: string;
  /** When its last progress was seen (the injected clock's ms). */
  readonly since: number;
  readonly queued: number;
  readonly written: number;
  readonly failed: number;
}

interface Track {
  done: number;
  at: number;
  stall: Stall | undefined;
}

/**
 * `storageStallTimeout`: notices a processor that has events queued and makes no progress (its
 * written + failed count does not move) for `timeoutMs`, and notices when it moves again. A wedged
 * engine otherwise looks healthy: it keeps answering, its queue fills, and new events are dropped
 * without a word. Reads only the queue counters, so it works the same for the storage thread.
 */
export class StallWatchdog {
  private readonly tracks = new Map<string, Track>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly watched: readonly Watched[],
    /** 0: never stalled. */
    private readonly timeoutMs: number,
    private readonly now: () => number,
    /** Called once when a stall begins, and once (`resumed`) when it ends. */
    private readonly onChange: (stall: Stall, resumed: boolean) => void,
  ) {}

  /** Checks at a quarter of the timeout (10 ms to 1 s): a stall is seen within 1.25 x the timeout. */
  start(): void {
    if (this.timeoutMs <= 0 || this.timer !== undefined) return;
    this.check();
    this.timer = setInterval(() => this.check(), Math.min(1000, Math.max(10, this.timeoutMs / 4)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The current stall of a processor, if any. */
  stallOf(name: string): Stall | undefined {
    return this.tracks.get(name)?.stall;
  }

  stalls(): Stall[] {
    const out: Stall[] = [];
    for (const t of this.tracks.values()) if (t.stall) out.push(t.stall);
    return out;
  }

  check(): void {
    const now = this.now();
    for (const w of this.watched) {
      const c = w.queue.counters();
      const done = c.written + c.failed;
      let t = this.tracks.get(w.name);
      if (t === undefined) {
        t = { done, at: now, stall: undefined };
        this.tracks.set(w.name, t);
      }
      if (done !== t.done || c.queued === 0) {
        t.done = done;
        t.at = now;
        if (t.stall) {
          const ended = t.stall;
          t.stall = undefined;
          this.onChange({ ...ended, queued: c.queued, written: c.written, failed: c.failed }, true);
        }
      } else if (t.stall === undefined && now - t.at >= this.timeoutMs) {
        t.stall = { processor: w.name, since: t.at, queued: c.queued, written: c.written, failed: c.failed };
        this.onChange(t.stall, false);
      }
    }
  }
}
