export interface BackoffOptions {
  /** Delay before the first retry, in ms. */
  readonly initialDelay: number;
  /** Longest delay between two attempts, in ms. */
  readonly maxDelay: number;
  /**
   * "Equal jitter" (half fixed, half random), so that many clients cut off by the same outage do
   * not come back in lockstep; without it, the plain capped exponential. Default true.
   */
  readonly jitter?: boolean;
}

/**
 * The one backoff rule of wt1 (upload retries, broker publish pauses, the Node client's retries,
 * worker restarts): the delay before retry number `retry` (1 for the first) is `initialDelay`
 * doubled at each retry, capped at `maxDelay`, with equal jitter unless turned off. `random` returns
 * [0, 1) (injectable for tests).
 */
export function backoffDelay(retry: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponential = Math.min(options.maxDelay, options.initialDelay * 2 ** Math.min(40, Math.max(0, retry - 1)));
  if (options.jitter === false) return exponential;
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
