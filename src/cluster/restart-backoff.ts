import { backoffDelay } from '../util/backoff.js';

/**
 * When to replace a dead worker. A worker that dies soon after it started is probably crashing on
 * start (bad disk, bug on a specific input): each such quick death doubles the wait before the next
 * fork of that slot, up to `maxMs`; a worker that lived `stableMs` or more resets the wait.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 30_000, stableMs: 10_000 };

export class RestartBackoff {
  private quickDeaths = 0;

  constructor(private readonly policy: BackoffPolicy = DEFAULT_BACKOFF) {}

  /** Milliseconds to wait before replacing a worker that lived `livedMs`. */
  nextDelay(livedMs: number): number {
    if (livedMs >= this.policy.stableMs) this.quickDeaths = 0;
    const delay = backoffDelay(this.quickDeaths + 1, {
      initialDelay: this.policy.initialMs,
      maxDelay: this.policy.maxMs,
      jitter: false,
    });
    this.quickDeaths++;
    return delay;
  }
}
