export interface BackoffOptions {
  /** Delay before the first retry, in ms. */
  readonly initialDelay: number;
  /** Longest delay between two attempts, in ms. */
  readonly maxDelay: number;
}

/**
 * Delay before retry number `retry` (1 for the first retry): exponential, capped, with "equal
 * jitter" (half fixed, half random) so that many clients cut off by the same outage do not come
 * back in lockstep. `random` returns [0, 1) (injectable for tests).
 */
export function backoffDelay(retry: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponential = Math.min(options.maxDelay, options.initialDelay * 2 ** Math.max(0, retry - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
