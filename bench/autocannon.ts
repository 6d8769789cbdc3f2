/**
 * autocannon as the bench's load generator, the fallback when wrk is not installed. It runs in the
 * bench process and costs about 12 µs of CPU per request, most of a core on a 2-core machine.
 */
import { createRequire } from 'node:module';
import type { LoadOptions, LoadResult } from './load-result.js';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as Autocannon;

export function autocannonVersion(): string {
  return `autocannon ${(require('autocannon/package.json') as { version: string }).version}`;
}

export async function runAutocannon(opts: LoadOptions): Promise<LoadResult> {
  // The generator runs here: this process's CPU time over the run is its cost (plus a little idle bench).
  const before = process.cpuUsage();
  const r = await autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.seconds,
    headers: opts.headers,
  });
  const used = process.cpuUsage(before);
  return {
    total: r['2xx'] + r.non2xx,
    requestsPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    loadgenCpuMicros: used.user + used.system,
  };
}
