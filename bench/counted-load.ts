/**
 * What the events benches (bench:api, bench:inputs) share: autocannon sending a counted number of
 * requests (every answer counted; a duration would cut the last ones off), and the collector's
 * storage counters read from /internal/live to see what was written.
 */
import { createRequire } from 'node:module';

/** The part of autocannon's API used here (typed locally: it ships no types). */
export interface CountedLoadOptions {
  url: string;
  connections: number;
  /** Total requests to send. */
  amount: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface CountedLoadResult {
  /** Seconds the run actually took. */
  duration: number;
  '2xx': number;
  non2xx: number;
  errors: number;
  latency: { p99: number };
}

const autocannon = createRequire(import.meta.url)('autocannon') as (
  options: CountedLoadOptions & { sampleInt: number },
) => Promise<CountedLoadResult>;

/**
 * autocannon notices the last answer only at its next sample tick (1 s by default), so a run of a
 * counted number of requests lasted whole seconds: a 20 ms tick keeps the timing within 20 ms.
 */
export function countedLoad(options: CountedLoadOptions): Promise<CountedLoadResult> {
  return autocannon({ ...options, sampleInt: 20 });
}

async function live(url: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${url}/internal/live`)).json()) as Record<string, unknown>;
}

/** The storage processor's counters. */
export async function storageCounters(url: string): Promise<{ written: number; dropped: number; failed: number }> {
  const processors = (await live(url)).processors as Record<
    string,
    { written: number; dropped: number; failed: number }
  >;
  const { written, dropped, failed } = processors.storage;
  return { written, dropped, failed };
}

/** Waits until the storage has caught up with what was received, so scenarios do not overlap. */
export async function drainWait(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const processors = (await live(url)).processors as Record<string, { queued?: number }> | undefined;
    const pending = Object.values(processors ?? {}).reduce((sum, p) => sum + (p.queued ?? 0), 0);
    if (pending === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A count with thousands separators, no decimals. */
export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
