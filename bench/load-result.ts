/** What a load generator reports for one run against one URL, whichever generator it is. */
export interface LoadResult {
  /** Responses received (any status). */
  total: number;
  requestsPerSec: number;
  /** Latency percentiles, in ms. */
  p50: number;
  p99: number;
  /** Responses with a status below 400 (wrk counts 3xx with 2xx; the bench's targets answer 200). */
  ok: number;
  non2xx: number;
  /** Connect, read and write errors and timeouts. */
  errors: number;
  /** CPU time the load generator itself used, in µs. */
  loadgenCpuMicros: number;
}

export interface LoadOptions {
  url: string;
  seconds: number;
  connections: number;
  headers: Record<string, string>;
  /** Run the load generator on this CPU only (taskset), when it is a child process. */
  cpu?: number;
}
