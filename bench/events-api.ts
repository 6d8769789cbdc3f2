/**
 * Events per second through POST /public/events (batches of 100, plain and gzipped) against the
 * pixel's events per second, measured in the same run against one wt1 child process (the load
 * comes from this process, with autocannon). Prints a table and the ratios.
 *
 *   npm run bench:api            (5 s per scenario)
 *   BENCH_SECONDS=10 BENCH_CONNECTIONS=16 npm run bench:api
 */
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { spawnWt1, stopWt1 } from '../test/helpers/process.js';
import { tempDir, removeDir } from '../test/helpers/server.js';

/** The part of autocannon's API used here (it ships no types; typed locally so no global declaration can clash). */
interface LoadOptions {
  url: string;
  connections: number;
  duration: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}
interface LoadResult {
  /** Seconds the run actually took. */
  duration: number;
  '2xx': number;
  non2xx: number;
  errors: number;
  latency: { p99: number };
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: LoadOptions) => Promise<LoadResult>;

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const BATCH = 100;

interface Scenario {
  readonly name: string;
  readonly eventsPerRequest: number;
  readonly options: Omit<LoadOptions, 'url' | 'connections' | 'duration'> & { path: string };
}

function batchMessage(): string {
  const now = Date.now();
  const events = Array.from({ length: BATCH }, (_, i) => ({
    type: i % 5 === 0 ? 'page' : 'event',
    clientTS: now + i,
    page: `https://shop.example.com/catalog/item-${1000 + i}?ref=home&utm_source=newsletter`,
    params: `action=click&target=buy-button&position=${i}&price=${(i * 1.5).toFixed(2)}`,
  }));
  return JSON.stringify({ visitorId: 'a1b2c3d4e5f60718', sessionId: 's9f8e7d6c5b4a3', vparams: 'plan=pro', ua: 'Mozilla/5.0 (X11; Linux x86_64) Bench/1.0', clientLang: 'en-US', events });
}

async function main(): Promise<void> {
  const dir = tempDir('wt1-bench-');
  const server = await spawnWt1([], {
    env: { WT1_STORAGE__PARAMS__ROOT_DIR: path.join(dir, 'data'), WT1_LOG_LEVEL: 'warn', WT1_MAX_QUEUE_SIZE: '200000' },
  });
  const json = batchMessage();
  const gz = gzipSync(json);
  const scenarios: Scenario[] = [
    {
      name: 'pixel GET /public/p.gif',
      eventsPerRequest: 1,
      options: {
        path: '/public/p.gif?__wt1ty=page&__wt1ts=1700000000000&__wt1vic=a1b2c3d4e5f60718&__wt1sic=s9f8e7d6c5b4a3&__wt1lang=en-US&__wt1tzo=-60&action=click&target=buy-button&position=3',
        headers: { Referer: 'https://shop.example.com/catalog/item-1003?ref=home&utm_source=newsletter', 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Bench/1.0' },
      },
    },
    { name: `/public/events x${BATCH} plain`, eventsPerRequest: BATCH, options: { method: 'POST', path: '/public/events', headers: { 'Content-Type': 'application/json' }, body: json } },
    { name: `/public/events x${BATCH} gzip`, eventsPerRequest: BATCH, options: { method: 'POST', path: '/public/events', headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, body: gz } },
  ];
  console.log(`wt1 events API benchmark: ${SECONDS} s per scenario, ${CONNECTIONS} connections, batch ${BATCH} (${json.length} B plain, ${gz.length} B gzipped), node ${process.version}`);
  const rates = new Map<string, number>();
  const written = new Map<string, number>();
  try {
    for (const s of scenarios) {
      const lostBefore = await lostInQueue(server.url);
      const { path: requestPath, ...rest } = s.options;
      const result = await autocannon({ url: server.url + requestPath, connections: CONNECTIONS, duration: SECONDS, ...rest });
      await drainWait(server.url);
      const lost = (await lostInQueue(server.url)) - lostBefore;
      const accepted = result['2xx'] * s.eventsPerRequest;
      const eventsPerSecond = accepted / result.duration;
      rates.set(s.name, eventsPerSecond);
      written.set(s.name, (accepted - lost) / result.duration);
      console.log(
        `${s.name.padEnd(28)} ${fmt(result['2xx'] / result.duration).padStart(7)} req/s ${fmt(eventsPerSecond).padStart(10)} events/s accepted ` +
          `${fmt((accepted - lost) / result.duration).padStart(8)} events/s written  p99 ${result.latency.p99} ms  non-2xx ${result.non2xx}  errors ${result.errors}  lost in queue ${lost}`,
      );
    }
  } finally {
    await stopWt1(server);
    removeDir(dir);
  }
  const pixel = rates.get(scenarios[0].name)!;
  const pixelWritten = written.get(scenarios[0].name)!;
  for (const s of scenarios.slice(1)) {
    console.log(`ratio ${s.name} / pixel: ${(rates.get(s.name)! / pixel).toFixed(1)}x accepted, ${(written.get(s.name)! / pixelWritten).toFixed(1)}x written`);
  }
}

async function live(url: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${url}/internal/live`)).json()) as Record<string, unknown>;
}

/** Events dropped by full queues so far (all processors). */
async function lostInQueue(url: string): Promise<number> {
  const processors = (await live(url)).processors as Record<string, { lostInQueueEvents: number }> | undefined;
  return Object.values(processors ?? {}).reduce((sum, p) => sum + (p.lostInQueueEvents ?? 0), 0);
}

/** Waits until the storage has caught up with what was received, so scenarios do not overlap. */
async function drainWait(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const processors = (await live(url)).processors as Record<string, { queued?: number }> | undefined;
    const pending = Object.values(processors ?? {}).reduce((sum, p) => sum + (p.queued ?? 0), 0);
    if (pending === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

await main();
