/**
 * Events per second written to a real Apache Kafka broker (single node, this machine, the tests'
 * broker) from the pixel and from POST /public/events (batches of 100), beside the filesystem engine
 * in the same run, and Kafka with ackMode=durable (answered once in the write-ahead spool, fsynced;
 * removed from it on the broker's ack). For Kafka, "written" counts events the broker acknowledged (acks=all), from the
 * start of the load until the last acknowledgement; for fs, events written to the log file. Each
 * engine runs in its own wt1 child process with default settings; the load comes from this process
 * (autocannon). The broker shares the machine's cores with wt1 and the load generator.
 *
 *   npm run bench:kafka
 *   BENCH_PIXEL_REQUESTS=50000 BENCH_API_REQUESTS=5000 BENCH_CONNECTIONS=16 npm run bench:kafka
 */
import path from 'node:path';
import { spawnWt1, stopWt1, type Wt1Process } from '../test/helpers/process.js';
import { tempDir, removeDir } from '../test/helpers/server.js';
import { startKafkaBroker } from '../test/helpers/kafka-broker.js';
import { countedLoad, fmt } from './counted-load.js';

const PIXEL_REQUESTS = Number(process.env.BENCH_PIXEL_REQUESTS ?? 20_000);
const API_REQUESTS = Number(process.env.BENCH_API_REQUESTS ?? 2_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const BATCH = 100;

const PIXEL_PATH =
  '/public/p.gif?__wt1ty=page&__wt1ts=1700000000000&__wt1vic=a1b2c3d4e5f60718&__wt1sic=s9f8e7d6c5b4a3' +
  '&__wt1lang=en-US&__wt1tzo=-60&action=click&target=buy-button&position=3';
const PIXEL_HEADERS = {
  Referer: 'https://shop.example.com/catalog/item-1003?ref=home&utm_source=newsletter',
  'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Bench/1.0',
};

function batchMessage(): string {
  const events = Array.from({ length: BATCH }, (_, i) => ({
    type: i % 5 === 0 ? 'page' : 'event',
    clientTS: 1_700_000_000_000 + i,
    page: `https://shop.example.com/catalog/item-${1000 + i}?ref=home&utm_source=newsletter`,
    params: `action=click&target=buy-button&position=${i}&price=${(i * 1.5).toFixed(2)}`,
  }));
  // Several visitors, so the Kafka messages spread over keys as real traffic does.
  return JSON.stringify({
    visitorId: `v${Math.floor(Math.random() * 1e9)}`,
    sessionId: 's9f8e7d6c5b4a3',
    ua: 'Mozilla/5.0 Bench/1.0',
    clientLang: 'en-US',
    events,
  });
}

interface Storage {
  written: number;
  dropped: number;
  failed: number;
  queued: number;
  stats: Record<string, number>;
}

async function storage(url: string): Promise<Storage> {
  return ((await (await fetch(`${url}/internal/live`)).json()) as { processors: { storage: Storage } }).processors
    .storage;
}

/** Events stored for good: acknowledged by the broker (kafka) or written to the file (fs). */
function stored(s: Storage): number {
  return s.stats.savedEvents ?? s.written;
}

async function settle(url: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const s = await storage(url);
    // Durable: the spool also empties once the broker acknowledged everything.
    if (s.queued === 0 && (s.stats.pending ?? 0) === 0 && (s.stats.durableSpoolBytes ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function run(engine: string, server: Wt1Process): Promise<string[]> {
  const lines: string[] = [];
  const body = batchMessage();
  const scenarios = [
    { name: 'pixel', events: 1, amount: PIXEL_REQUESTS, options: { headers: PIXEL_HEADERS }, path: PIXEL_PATH },
    {
      name: `API x${BATCH}`,
      events: BATCH,
      amount: API_REQUESTS,
      options: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body },
      path: '/public/events',
    },
  ];
  for (const s of scenarios) {
    const before = await storage(server.url);
    const started = Date.now();
    const result = await countedLoad({
      url: server.url + s.path,
      connections: CONNECTIONS,
      amount: s.amount,
      ...s.options,
    });
    await settle(server.url);
    const seconds = (Date.now() - started) / 1000;
    const after = await storage(server.url);
    const wrote = stored(after) - stored(before);
    const dropped = after.dropped - before.dropped + (after.failed - before.failed);
    lines.push(
      `${engine.padEnd(14)} ${s.name.padEnd(9)} ${fmt(wrote / seconds).padStart(9)} events/s stored   accepted ` +
        `${fmt(result['2xx'] * s.events)}  stored ${fmt(wrote)}  dropped ${fmt(dropped)}  503 ${result.non2xx}  ` +
        `p99 ${result.latency.p99} ms`,
    );
    console.log(lines[lines.length - 1]);
  }
  return lines;
}

async function main(): Promise<void> {
  console.log(
    `wt1 Kafka benchmark: ${PIXEL_REQUESTS} pixel / ${API_REQUESTS} API requests (x${BATCH} events) per scenario, ` +
      `${CONNECTIONS} connections, node ${process.version}`,
  );
  const broker = await startKafkaBroker();
  const dir = tempDir('wt1-bench-kafka-');
  try {
    const engines: Array<[string, NodeJS.ProcessEnv]> = [
      ['fs', { WT1_STORAGE__PARAMS__ROOT_DIR: path.join(dir, 'data') }],
      [
        'kafka acks=all',
        {
          WT1_STORAGE__CLASS: 'kafka',
          WT1_STORAGE__PARAMS__BROKERS: broker.bootstrap,
          WT1_STORAGE__PARAMS__TOPIC: 'bench',
          WT1_STORAGE__PARAMS__ACKS: 'all',
        },
      ],
      [
        'kafka durable',
        {
          WT1_ACK_MODE: 'durable',
          WT1_DURABLE__SPOOL_DIR: path.join(dir, 'spool'),
          WT1_STORAGE__CLASS: 'kafka',
          WT1_STORAGE__PARAMS__BROKERS: broker.bootstrap,
          WT1_STORAGE__PARAMS__TOPIC: 'bench-durable',
          WT1_STORAGE__PARAMS__ACKS: 'all',
        },
      ],
    ];
    for (const [name, env] of engines) {
      const server = await spawnWt1([], { env: { WT1_LOG_LEVEL: 'warn', ...env } });
      try {
        await run(name, server);
      } finally {
        await stopWt1(server);
      }
    }
  } finally {
    await broker.stop();
    removeDir(dir);
  }
}

await main();
