/**
 * Events per second accepted and written through each tracker input, beside POST /public/events, in
 * one run against one wt1 child process with the default queue bounds (the load comes from this
 * process, with autocannon). Batches where the format has them (Segment, RudderStack, Matomo bulk,
 * GA4, Snowplow, PostHog: BATCH events a request; GA4 at most 25), one event a request otherwise.
 * Checks that every event an input accepted (2xx) was written; exit code 1 if not. Each scenario's
 * request is sent once first and must be accepted (a refused sample is a bench bug: also exit 1).
 * The pixel is not here: `npm run bench` measures it.
 *
 *   npm run bench:inputs
 *   BENCH_INPUT_REQUESTS=5000 BENCH_INPUT_BATCH_REQUESTS=1000 BENCH_CONNECTIONS=16 npm run bench:inputs
 *   BENCH_INPUTS=segment,plausible npm run bench:inputs      (only these, beside /public/events)
 *   WT1_INPUT_PARSING=storageThread npm run bench:inputs     (bodies parsed on the storage thread)
 */
import path from 'node:path';
import { loadavg } from 'node:os';
import { spawnWt1, stopWt1 } from '../test/helpers/process.js';
import { tempDir, removeDir } from '../test/helpers/server.js';
import { countedLoad, drainWait, fmt, storageCounters } from './counted-load.js';
import { findInput } from '../src/inputs/registry.js';

const SINGLE_REQUESTS = Number(process.env.BENCH_INPUT_REQUESTS ?? 30_000);
const BATCH_REQUESTS = Number(process.env.BENCH_INPUT_BATCH_REQUESTS ?? 3_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const ONLY = process.env.BENCH_INPUTS?.split(',').map((s) => s.trim());
const BATCH = 100;
const UA = 'Mozilla/5.0 (X11; Linux x86_64) Bench/1.0';
const PAGE = 'https://shop.example.com/catalog/item-1003?ref=home&utm_source=newsletter';

interface Scenario {
  /** The input's name in the registry (`events` for /public/events). */
  readonly input: string;
  readonly label: string;
  readonly eventsPerRequest: number;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const json = { 'Content-Type': 'application/json', 'User-Agent': UA };
const text = { 'Content-Type': 'text/plain', 'User-Agent': UA };
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function segmentMessage(i: number): object {
  return {
    type: 'track',
    event: 'Clicked',
    anonymousId: 'a1b2c3d4-e5f6',
    messageId: `m-${i}`,
    timestamp: new Date(1_700_000_000_000 + i).toISOString(),
    properties: { target: 'buy-button', position: i, price: i * 1.5 },
    context: { page: { url: PAGE, referrer: 'https://www.example.org/' }, locale: 'en-US' },
  };
}

function scenarios(): Scenario[] {
  const all: Scenario[] = [
    {
      input: 'events',
      label: `/public/events x${BATCH}`,
      eventsPerRequest: BATCH,
      path: '/public/events',
      headers: json,
      body: JSON.stringify({
        visitorId: 'a1b2c3d4e5f60718',
        sessionId: 's9f8e7d6c5b4a3',
        ua: UA,
        events: range(BATCH).map((i) => ({
          type: i % 5 === 0 ? 'page' : 'event',
          clientTS: 1_700_000_000_000 + i,
          page: PAGE,
          params: `action=click&target=buy-button&position=${i}`,
        })),
      }),
    },
    {
      input: 'segment',
      label: `segment /v1/batch x${BATCH}`,
      eventsPerRequest: BATCH,
      path: '/v1/batch',
      headers: json,
      body: JSON.stringify({ writeKey: 'bench', batch: range(BATCH).map(segmentMessage) }),
    },
    {
      input: 'segment',
      label: 'segment /v1/t x1 (text/plain)',
      eventsPerRequest: 1,
      path: '/v1/t',
      headers: text,
      body: JSON.stringify({ writeKey: 'bench', ...segmentMessage(0) }),
    },
    {
      input: 'rudderstack',
      label: `rudderstack beacon x${BATCH}`,
      eventsPerRequest: BATCH,
      path: '/beacon/v1/batch?writeKey=bench',
      headers: text,
      body: JSON.stringify({ batch: range(BATCH).map(segmentMessage) }),
    },
    {
      input: 'plausible',
      label: 'plausible /api/event x1',
      eventsPerRequest: 1,
      path: '/api/event',
      headers: text,
      body: JSON.stringify({ n: 'pageview', u: PAGE, d: 'shop.example.com', r: 'https://www.example.org/', p: {} }),
    },
    {
      input: 'umami',
      label: 'umami /api/send x1',
      eventsPerRequest: 1,
      path: '/api/send',
      headers: json,
      body: JSON.stringify({
        type: 'event',
        payload: {
          website: 'bench-site',
          hostname: 'shop.example.com',
          url: '/catalog/item-1003',
          language: 'en-US',
          name: 'click',
          data: { target: 'buy-button' },
        },
      }),
    },
    {
      input: 'matomo',
      label: `matomo bulk x${BATCH}`,
      eventsPerRequest: BATCH,
      path: '/matomo.php',
      headers: json,
      body: JSON.stringify({
        requests: range(BATCH).map(
          (i) => `?idsite=1&rec=1&_id=0123456789abcdef&url=${encodeURIComponent(PAGE)}&action_name=Item%20${i}`,
        ),
      }),
    },
    {
      input: 'ga4',
      label: 'ga4 /mp/collect x25',
      eventsPerRequest: 25,
      path: '/mp/collect?measurement_id=G-BENCH&api_secret=s',
      headers: json,
      body: JSON.stringify({
        client_id: '123.456',
        events: range(25).map((i) => ({ name: 'select_item', params: { page_location: PAGE, position: i } })),
      }),
    },
    {
      input: 'jitsu',
      label: 'jitsu /api/s/track x1',
      eventsPerRequest: 1,
      path: '/api/s/track',
      headers: { ...json, 'X-Write-Key': 'bench' },
      body: JSON.stringify(segmentMessage(0)),
    },
    {
      input: 'snowplow',
      label: `snowplow tp2 x${BATCH}`,
      eventsPerRequest: BATCH,
      path: '/com.snowplowanalytics.snowplow/tp2',
      headers: json,
      body: JSON.stringify({
        schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4',
        data: range(BATCH).map((i) => ({
          e: 'pv',
          url: PAGE,
          page: `Item ${i}`,
          tv: 'js-4.0.0',
          p: 'web',
          aid: 'bench',
          duid: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
          eid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          dtm: String(1_700_000_000_000 + i),
          stm: String(1_700_000_000_100),
        })),
      }),
    },
    {
      input: 'posthog',
      label: `posthog /batch/ x${BATCH}`,
      eventsPerRequest: BATCH,
      path: '/batch/',
      headers: json,
      body: JSON.stringify({
        api_key: 'phc_bench',
        batch: range(BATCH).map((i) => ({
          event: i % 5 === 0 ? '$pageview' : 'clicked',
          distinct_id: 'user-1',
          uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          timestamp: new Date(1_700_000_000_000 + i).toISOString(),
          properties: { distinct_id: 'user-1', $current_url: PAGE, position: i },
        })),
      }),
    },
  ];
  // Inputs not in this build (another branch's) are left out, said in the output.
  return all.filter(
    (s) => (s.input === 'events' || findInput(s.input)) && (!ONLY || s.input === 'events' || ONLY.includes(s.input)),
  );
}

async function main(): Promise<void> {
  const dir = tempDir('wt1-bench-');
  const server = await spawnWt1([], {
    env: { WT1_STORAGE__PARAMS__ROOT_DIR: path.join(dir, 'data'), WT1_LOG_LEVEL: 'warn' },
  });
  const list = scenarios();
  const [load1, load5] = loadavg();
  console.log(
    `wt1 inputs benchmark: ${SINGLE_REQUESTS} requests per single-event scenario, ${BATCH_REQUESTS} per batch ` +
      `scenario, ${CONNECTIONS} connections, default queue bounds, inputParsing ` +
      `${process.env.WT1_INPUT_PARSING ?? 'requestThread'}, node ${process.version}, load average ` +
      `${load1.toFixed(2)} / ${load5.toFixed(2)} (1 / 5 min) at start`,
  );
  console.log(
    'written events/s: events the storage wrote from the start of the scenario until drained, over that time',
  );
  const mismatches: string[] = [];
  try {
    for (const s of list) {
      const sample = await fetch(server.url + s.path, { method: 'POST', headers: s.headers, body: s.body });
      if (sample.status >= 300) {
        mismatches.push(`${s.label}: the sample request was refused: ${sample.status} ${await sample.text()}`);
        continue;
      }
      await sample.arrayBuffer();
      await drainWait(server.url);
      const before = await storageCounters(server.url);
      const started = Date.now();
      const result = await countedLoad({
        url: server.url + s.path,
        connections: CONNECTIONS,
        amount: s.eventsPerRequest === 1 ? SINGLE_REQUESTS : BATCH_REQUESTS,
        method: 'POST',
        headers: s.headers,
        body: s.body,
      });
      const loadSeconds = (Date.now() - started) / 1000;
      await drainWait(server.url);
      const seconds = (Date.now() - started) / 1000;
      const after = await storageCounters(server.url);
      const wrote = after.written - before.written;
      const failed = after.failed - before.failed;
      const dropped = after.dropped - before.dropped;
      const accepted = result['2xx'] * s.eventsPerRequest;
      // A 2xx is a promise: every event accepted is written (a queue that cannot take a request whole answers 503).
      if (wrote !== accepted || failed !== 0 || dropped !== 0)
        mismatches.push(`${s.label}: accepted ${accepted}, written ${wrote}, dropped ${dropped}, failed ${failed}`);
      console.log(
        `${s.label.padEnd(32)} ${fmt(accepted / loadSeconds).padStart(9)} events/s accepted ` +
          `${fmt(wrote / seconds).padStart(9)} events/s written  accepted ${accepted}  written ${wrote}  ` +
          `503 ${result.non2xx}  errors ${result.errors}  p99 ${result.latency.p99} ms`,
      );
    }
  } finally {
    await stopWt1(server);
    removeDir(dir);
  }
  const skipped = ['snowplow', 'posthog'].filter((name) => !findInput(name));
  if (skipped.length > 0) console.log(`not in this build: ${skipped.join(', ')}`);
  if (mismatches.length > 0) {
    console.error(`FAILED:\n${mismatches.join('\n')}`);
    process.exitCode = 1;
  } else console.log('check: written = accepted for every input (nothing dropped or failed)');
}

await main();
