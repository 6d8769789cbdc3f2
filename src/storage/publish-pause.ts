import { backoffDelay } from '../util/backoff.js';

/**
 * The pause of an engine that sends to a remote service (kafka, nats) after a failed send: the
 * failed messages go back to the front of its buffer and sending stops for a delay that doubles
 * with each failure in a row (50 ms, then up to `maxDelay`, no jitter: one collector's sends do not
 * need spreading), then `onResume` sends again.
 */
export class PublishPause {
  private pausedNow = false;
  private timer: NodeJS.Timeout | undefined;

  /** `maxDelay` in ms (the engine's reconnectWait); `onResume` runs at each `resume`. */
  constructor(
    private readonly maxDelay: number,
    private readonly onResume: () => void,
  ) {}

  get paused(): boolean {
    return this.pausedNow;
  }

  /** Pauses after the `inARow`-th failure in a row; a pause already running keeps its end. */
  afterFailure(inARow: number): void {
    if (this.pausedNow) return;
    this.pausedNow = true;
    const delay = backoffDelay(inARow, { initialDelay: 50, maxDelay: this.maxDelay, jitter: false });
    this.timer = setTimeout(() => this.resume(), delay);
  }

  /** Ends the pause now (the service is back, or closing) and calls `onResume`. */
  resume(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pausedNow = false;
    this.onResume();
  }

  /** At close: no timer left behind (sending has stopped for good). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
