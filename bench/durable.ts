/**
 * ackMode=durable, measured (issue 16 targets; not a test: the numbers depend on the machine).
 *
 * 1. Throughput: the pixel (GET) in `queued` and in `durable` mode in the same run, one wt1 child
 *    process each, with the bench's load generator (wrk when installed), 32 connections; req/s, p99
 *    and the ratio durable / queued (target >= 0.5, p99 <= 10 ms).
 * 2. kill -9 at a steady rate (default 3 000 events/s: GET pixel, POST pixel and API messages of 2
 *    events, in turn): the collector is killed with SIGKILL mid-load, started again on the same
 *    folder (recovery), stopped; then the acknowledged (200) events are looked for in the files.
 *    Target: 0 acknowledged events missing, 0 duplicates.
 *
 * 3. An outage of the server (bench/durable-outage.ts): nats-server, then s3rver, stopped for 60 s
 *    under steady load: acknowledged lost (target 0), spool max against its bound, 503s, drain time.
 *
 *   npm run bench:durable                 (BENCH_ONLY=throughput, kill or outage: that part only)
 *   BENCH_SECONDS=8 BENCH_CONNECTIONS=32 BENCH_RATE=3000 BENCH_KILL_AFTER=5 npm run bench:durable
 *   BENCH_OUTAGE_SECONDS=60 BENCH_OUTAGE_RATE=2000 BENCH_SPOOL_BYTES=16777216 BENCH_OUTAGE_ENGINES=nats,s3
 */
import path from 'node:path';
import { spawnWt1, stopWt1 } from '../test/helpers/process.js';
import { removeDir, tempDir } from '../test/helpers/server.js';
import { readAllRows } from '../test/helpers/files.js';
import { sendMixed } from '../test/helpers/durable-load.js';
import { chooseLoadGenerator } from './loadgen.js';
import { outage } from './durable-outage.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const RATE = Number(process.env.BENCH_RATE ?? 3000);
const KILL_AFTER = Number(process.env.BENCH_KILL_AFTER ?? 5);
const PIXEL_QUERY =
  '/public/p.gif?__wt1ty=page&__wt1ts=1700000000000&__wt1vic=a1b2c3d4e5f60718&__wt1sic=s9f8e7d6c5b4a3' +
  '&__wt1lang=en-US&__wt1tzo=-60&action=click&target=buy-button&position=3';

async function throughput(): Promise<void> {
  const generator = chooseLoadGenerator(process.env.BENCH_LOADGEN);
  if ('error' in generator) throw new Error(generator.error);
  if (generator.notice) console.log(generator.notice);
  console.log(
    `1. pixel throughput, ${generator.name} ${generator.version}, ${CONNECTIONS} connections, ${SECONDS} s per ` +
      `mode, node ${process.version}`,
  );
  const results: Record<string, { rps: number; p50: number; p99: number; non2xx: number }> = {};
  for (const mode of ['queued', 'durable']) {
    const dir = tempDir('wt1-bench-durable-');
    const server = await spawnWt1([], {
      env: { WT1_STORAGE__PARAMS__ROOT_DIR: path.join(dir, 'data'), WT1_LOG_LEVEL: 'warn', WT1_ACK_MODE: mode },
    });
    try {
      const r = await generator.run({
        url: server.url + PIXEL_QUERY,
        seconds: SECONDS,
        connections: CONNECTIONS,
        headers: {
          Referer: 'https://shop.example.com/catalog/item-1003?ref=home',
          'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Bench/1.0',
        },
      });
      results[mode] = { rps: r.requestsPerSec, p50: r.p50, p99: r.p99, non2xx: r.non2xx };
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      const syncs = Number(/^wt1_durable_sync_seconds_count (\d+)/m.exec(metrics)?.[1] ?? 0);
      const syncSum = Number(/^wt1_durable_sync_seconds_sum ([\d.e-]+)/m.exec(metrics)?.[1] ?? 0);
      const grouped = Number(/^wt1_durable_group_events_sum (\d+)/m.exec(metrics)?.[1] ?? 0);
      const extra =
        syncs > 0
          ? `  syncs ${syncs}, mean ${((syncSum / syncs) * 1000).toFixed(2)} ms, ` +
            `mean group ${(grouped / syncs).toFixed(1)} events`
          : '';
      console.log(
        `   ${mode.padEnd(8)} ${Math.round(r.requestsPerSec).toLocaleString('en-US').padStart(8)} req/s  p50 ` +
          `${r.p50} ms  p99 ${r.p99} ms  non-2xx ${r.non2xx}  errors ${r.errors}${extra}`,
      );
    } finally {
      await stopWt1(server);
      removeDir(dir);
    }
  }
  const ratio = results.durable.rps / results.queued.rps;
  console.log(
    `   durable / queued: ${ratio.toFixed(2)}x (target >= 0.5), durable p99 ${results.durable.p99} ms (target <= 10)`,
  );
}

async function killNine(): Promise<void> {
  console.log(`2. kill -9 at ${RATE} events/s (GET pixel, POST pixel, API x2 in turn), killed after ${KILL_AFTER} s`);
  const dir = tempDir('wt1-bench-kill-');
  const data = path.join(dir, 'data');
  const env = { WT1_STORAGE__PARAMS__ROOT_DIR: data, WT1_LOG_LEVEL: 'warn', WT1_ACK_MODE: 'durable' };
  const first = await spawnWt1([], { env });
  const acked = new Set<string>();
  let sent = 0;
  let refused = 0;
  let unanswered = 0;
  const inFlight = new Set<Promise<void>>();
  const one = async (id: number): Promise<void> => {
    try {
      const { res, ids } = await sendMixed(first.url, id);
      if (res.status !== 200) {
        refused++;
        return;
      }
      for (const event of ids) acked.add(event);
    } catch {
      unanswered++;
    }
  };
  // A steady rate: every 10 ms, the requests due by now (each API message counts 2 events).
  const started = Date.now();
  let events = 0;
  let id = 0;
  while (Date.now() - started < KILL_AFTER * 1000) {
    const due = ((Date.now() - started) / 1000) * RATE;
    while (events < due) {
      const p = one(id);
      events += id % 3 === 2 ? 2 : 1;
      id++;
      sent++;
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  first.child.kill('SIGKILL');
  await first.exited;
  await Promise.all(inFlight);
  const second = await spawnWt1([], { env });
  await stopWt1(second);
  const found = new Map<string, number>();
  for (const row of readAllRows(data)) {
    const m = /(?:^|&)id=([gpa]\d+[xy]?)/.exec(row.event_params ?? '');
    if (m) found.set(m[1], (found.get(m[1]) ?? 0) + 1);
  }
  removeDir(dir);
  const missing = [...acked].filter((k) => !found.has(k)).length;
  const duplicates = [...found.values()].filter((n) => n > 1).length;
  const rate = events / KILL_AFTER;
  console.log(
    `   requests ${sent} (${Math.round(rate)} events/s offered), acknowledged events ${acked.size}, refused ` +
      `${refused}, unanswered (killed) ${unanswered}`,
  );
  console.log(
    `   in the files after restart: ${[...found.keys()].length} events; acknowledged missing ${missing} (target ` +
      `0), duplicates ${duplicates} (target 0)`,
  );
  if (missing > 0 || duplicates > 0) process.exitCode = 1;
}

const only = process.env.BENCH_ONLY;
if (only === undefined || only === 'throughput') await throughput();
if (only === undefined || only === 'kill') await killNine();
if (only === undefined || only === 'outage') {
  for (const engine of (process.env.BENCH_OUTAGE_ENGINES ?? 'nats,s3').split(',')) {
    if (engine !== 'nats' && engine !== 's3') throw new Error(`BENCH_OUTAGE_ENGINES: nats or s3, not ${engine}`);
    await outage(engine);
  }
}
