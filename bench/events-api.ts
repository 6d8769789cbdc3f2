/**
 * Events per second through POST /public/events (batches of 100, plain and gzipped) against the
 * pixel's, measured in the same run against one wt1 child process with the default queue bounds
 * (the load comes from this process, with autocannon). Reports the events *written* per second,
 * and checks that every event answered 200 by the API was written (a message a queue cannot take
 * is refused whole with 503; autocannon does not retry, those count in `503`). Exit code 1 if not.
 *
 *   npm run bench:api
 *   BENCH_PIXEL_REQUESTS=50000 BENCH_API_REQUESTS=5000 BENCH_CONNECTIONS=16 npm run bench:api
 */
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { spawnWt1, stopWt1 } from '../test/helpers/process.js';
import { tempDir, removeDir } from '../test/helpers/server.js';
import { countedLoad, type CountedLoadOptions, drainWait, fmt, storageCounters } from './counted-load.js';

/** Requests per scenario: the pixel's, and the API's (each carries BATCH events). */
const PIXEL_REQUESTS = Number(process.env.BENCH_PIXEL_REQUESTS ?? 20_000);
const API_REQUESTS = Number(process.env.BENCH_API_REQUESTS ?? 3_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const BATCH = 100;

interface Scenario {
  readonly name: string;
  readonly eventsPerRequest: number;
  readonly options: Omit<CountedLoadOptions, 'url' | 'connections' | 'amount'> & { path: string };
}

function batchMessage(): string {
  const now = Date.now();
  const events = Array.from({ length: BATCH }, (_, i) => ({
    type: i % 5 === 0 ? 'page' : 'event',
    clientTS: now + i,
    page: `https://shop.example.com/catalog/item-${1000 + i}?ref=home&utm_source=newsletter`,
    params: `action=click&target=buy-button&position=${i}&price=${(i * 1.5).toFixed(2)}`,
  }));
  return JSON.stringify({
    visitorId: 'a1b2c3d4e5f60718',
    sessionId: 's9f8e7d6c5b4a3',
    vparams: 'plan=pro',
    ua: 'Mozilla/5.0 (X11; Linux x86_64) Bench/1.0',
    clientLang: 'en-US',
    events,
  });
}

async function main(): Promise<void> {
  const dir = tempDir('wt1-bench-');
  const server = await spawnWt1([], {
    env: { WT1_STORAGE__PARAMS__ROOT_DIR: path.join(dir, 'data'), WT1_LOG_LEVEL: 'warn' },
  });
  const json = batchMessage();
  const gz = gzipSync(json);
  const scenarios: Scenario[] = [
    {
      name: 'pixel GET /public/p.gif',
      eventsPerRequest: 1,
      options: {
        path:
          '/public/p.gif?__wt1ty=page&__wt1ts=1700000000000&__wt1vic=a1b2c3d4e5f60718&__wt1sic=s9f8e7d6c5b4a3' +
          '&__wt1lang=en-US&__wt1tzo=-60&action=click&target=buy-button&position=3',
        headers: {
          Referer: 'https://shop.example.com/catalog/item-1003?ref=home&utm_source=newsletter',
          'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Bench/1.0',
        },
      },
    },
    {
      name: `/public/events x${BATCH} plain`,
      eventsPerRequest: BATCH,
      options: { method: 'POST', path: '/public/events', headers: { 'Content-Type': 'application/json' }, body: json },
    },
    {
      name: `/public/events x${BATCH} gzip`,
      eventsPerRequest: BATCH,
      options: {
        method: 'POST',
        path: '/public/events',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
        body: gz,
      },
    },
  ];
  console.log(
    `wt1 events API benchmark: ${PIXEL_REQUESTS} pixel / ${API_REQUESTS} API requests per scenario, ${CONNECTIONS} ` +
      `connections, batch ${BATCH} (${json.length} B plain, ${gz.length} B gzipped), default queue bounds, node ` +
      `${process.version}`,
  );
  console.log(
    'written events/s: events written by the storage from the start of the run until it drained, over that time',
  );
  const written = new Map<string, number>();
  const mismatches: string[] = [];
  try {
    for (const s of scenarios) {
      const before = await storageCounters(server.url);
      const { path: requestPath, ...rest } = s.options;
      const started = Date.now();
      const result = await countedLoad({
        url: server.url + requestPath,
        connections: CONNECTIONS,
        amount: s.eventsPerRequest === 1 ? PIXEL_REQUESTS : API_REQUESTS,
        ...rest,
      });
      await drainWait(server.url);
      const seconds = (Date.now() - started) / 1000;
      const after = await storageCounters(server.url);
      const wrote = after.written - before.written;
      const dropped = after.dropped - before.dropped;
      const failed = after.failed - before.failed;
      const accepted = result['2xx'] * s.eventsPerRequest;
      written.set(s.name, wrote / seconds);
      // An API 200 is a promise: every accepted event written. A pixel hit past the bound is
      // answered and dropped (WT1's rule), so there only written + dropped = accepted holds.
      const kept = s.eventsPerRequest === 1 ? wrote + dropped : wrote;
      if (kept !== accepted || failed !== 0)
        mismatches.push(`${s.name}: accepted ${accepted}, written ${wrote}, dropped ${dropped}, failed ${failed}`);
      console.log(
        `${s.name.padEnd(28)} ${fmt(wrote / seconds).padStart(9)} events/s written  ` +
          `${fmt(accepted / result.duration).padStart(9)} events/s accepted  ` +
          `accepted ${accepted}  written ${wrote}  dropped ${dropped}  503 ${result.non2xx}  errors ` +
          `${result.errors}  p99 ${result.latency.p99} ms`,
      );
    }
  } finally {
    await stopWt1(server);
    removeDir(dir);
  }
  const pixelWritten = written.get(scenarios[0].name)!;
  for (const s of scenarios.slice(1))
    console.log(`ratio ${s.name} / pixel: ${(written.get(s.name)! / pixelWritten).toFixed(1)}x written`);
  if (mismatches.length > 0) {
    console.error(`FAILED: written != accepted\n${mismatches.join('\n')}`);
    process.exitCode = 1;
  } else console.log('check: written = accepted for every scenario (the pixel: written + dropped = accepted)');
}

await main();
