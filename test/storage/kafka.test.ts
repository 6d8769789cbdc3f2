import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/server/plugins.js';
import type { RawValue } from '../../src/config/spec.js';
import { ConfigError } from '../../src/errors.js';
import { createEngine } from '../../src/storage/registry.js';
import { silentLogger } from '../../src/log.js';
import { kafkaEngine, type KafkaStorage } from '../../src/storage/kafka.js';
import { startKafkaBroker, type KafkaTestBroker, type StoredRecord } from '../helpers/kafka-broker.js';
import { startTestServer } from '../helpers/server.js';
import { freePort, runWt1, spawnWt1, stopWt1 } from '../helpers/process.js';
import { sampleEvent } from '../helpers/events.js';

// One broker for the whole file (a JVM start costs seconds); each test uses its own topic.
let broker: KafkaTestBroker;
before(async () => { broker = await startKafkaBroker(); });
after(async () => { await broker?.stop(); });

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nbroker log:\n${broker.logTail()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function engineFor(keys: Record<string, string>): KafkaStorage {
  const config = validateConfig(new Map<string, RawValue>([['storage.class', 'kafka'], ['storage.params.brokers', broker.bootstrap], ...Object.entries(keys)]));
  return createEngine(kafkaEngine, config, { logger: silentLogger(), instanceId: 'edge-1', now: Date.now }) as KafkaStorage;
}

type Storage = { received: number; written: number; failed: number; dropped: number; queued: number; ready: boolean; stats: Record<string, number> };

test('kafka: a pixel hit and an API event become exactly the JSON messages of WT1\'s Kafka engine, keyed by visitor, with a message id', async () => {
  const wt1 = await startTestServer({ 'storage.class': 'com.dataiku.wt1.storage.KafkaStorageProcessor', 'storage.params.brokers': broker.bootstrap, 'storage.params.topic': 'exact', 'storage.params.acks': 'all', instanceId: 'edge-1' });
  try {
    const pixel = await fetch(`${wt1.url}/public/p.gif?__wt1ty=page&__wt1vic=vis-1&__wt1sic=ses-1&__wt1ts=1764223503999&__wt1tzo=-60&__wt1lang=fr-FR&__wt1bw=1280&__wt1bh=720&__wt1sw=1920&__wt1sh=1080&__wt1vpc=plan%3Dpro&__wt1ref=https%3A%2F%2Fsearch.example%2F&color=blue&n=3`, {
      headers: { 'User-Agent': 'Mozilla/5.0 (X11)', Referer: 'https://site.example/a?b=c', 'X-Forwarded-For': '203.0.113.7' },
    });
    assert.equal(pixel.status, 200);
    await pixel.arrayBuffer();
    const api = await fetch(`${wt1.url}/public/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ visitorId: 'u-123', sessionId: 's-456', vparams: 'plan=pro', ua: 'MyApp/2.1', clientLang: 'fr', events: [{ type: 'event', clientTS: 1700000000500, page: 'app://home', params: 'action=buy&total=42.5' }] }),
    });
    assert.equal(api.status, 200);
    await fetch(`${wt1.url}/internal/flush`, { method: 'POST' });
    const records = await broker.readTopic('exact');
    assert.equal(records.length, 2);
    const byVisitor = new Map(records.map((r) => [r.key, r]));
    for (const r of records) {
      assert.match(r.headers['wt1-msg-id'], /^edge-1-[0-9a-f]{8}-\d+$/);
      assert.match(r.json.serverTS as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(Math.abs(Date.parse(r.json.serverTS as string) - Date.now()) < 10 * 60_000, 'serverTS is the arrival time');
      delete r.json.serverTS;
    }
    assert.notEqual(records[0].headers['wt1-msg-id'], records[1].headers['wt1-msg-id']);
    assert.deepEqual(byVisitor.get('vis-1')!.json, {
      visitorId: 'vis-1',
      sessionId: 'ses-1',
      origAddress: '203.0.113.7',
      type: 'page',
      clientTS: '2025-11-27T06:05:03.999Z',
      visitorParams: 'plan=pro',
      eventParams: 'color=blue&n=3',
      page: 'https://site.example/a?b=c',
      referer: 'https://search.example/',
      tzOffset: '-60',
      browserWidth: 1280,
      browserHeight: 720,
      screenWidth: 1920,
      screenHeight: 1080,
      ua: 'Mozilla/5.0 (X11)',
      browserLanguage: 'fr-FR',
    });
    assert.deepEqual(byVisitor.get('u-123')!.json, {
      visitorId: 'u-123',
      sessionId: 's-456',
      origAddress: '127.0.0.1',
      type: 'event',
      clientTS: '2023-11-14T22:13:20.500Z',
      visitorParams: 'plan=pro',
      eventParams: 'action=buy&total=42.5',
      page: 'app://home',
      ua: 'MyApp/2.1',
      browserLanguage: 'fr',
    });
  } finally {
    await wt1.stop();
  }
});

test('kafka: decodeParams gives objects with typed numbers, as the NATS engine', async () => {
  const engine = engineFor({ 'storage.params.topic': 'decoded', 'storage.params.decodeParams': 'true', 'storage.params.acks': 'all' });
  try {
    await engine.open();
    engine.write(sampleEvent({ visitorId: 'a' }));
    await engine.flush();
    assert.deepEqual({ accepted: engine.stats().accepted, savedEvents: engine.stats().savedEvents, pending: engine.stats().pending }, { accepted: 1, savedEvents: 1, pending: 0 });
    const [record] = await broker.readTopic('decoded');
    assert.deepEqual(record.json.eventParams, { color: 'blue', price: 12.5, n: 3, tag: ['a', 'b'] });
    assert.deepEqual(record.json.sessionParams, {});
    assert.equal(record.key, 'a');
  } finally {
    await engine.close();
  }
});

test('kafka: acks=0 (WT1\'s default) still delivers; saved then means written to the socket', async () => {
  const engine = engineFor({ 'storage.params.topic': 'noack' });
  try {
    await engine.open();
    for (let i = 0; i < 5; i++) engine.write(sampleEvent({ visitorId: `n${i}` }));
    await engine.flush();
    assert.equal(engine.stats().savedEvents, 5);
    await waitFor('the 5 messages on the topic', async () => (await broker.readTopic('noack').catch(() => [])).length === 5);
    assert.deepEqual((await broker.readTopic('noack')).map((r) => r.key).sort(), ['n0', 'n1', 'n2', 'n3', 'n4']);
  } finally {
    await engine.close();
  }
});

test('kafka: partitioned by visitor: one visitor\'s events in one partition, in order; visitors spread', async () => {
  await broker.createTopic('spread', 4);
  const engine = engineFor({ 'storage.params.topic': 'spread', 'storage.params.acks': 'all', 'storage.params.maxRequestSize': '2000', 'storage.params.linger': '0' });
  try {
    await engine.open();
    for (let n = 0; n < 10; n++) {
      for (let v = 0; v < 16; v++) engine.write(sampleEvent({ visitorId: `visitor-${v}`, eventParams: `n=${n}` }));
    }
    await engine.flush();
    assert.equal(engine.stats().savedEvents, 160);
    assert.ok(engine.stats().requests > 1, 'several produce requests in flight');
    // A request partly refused (a partition of the new topic not ready yet) is sent again whole:
    // a consumer drops the copies by their message id, as here (first copy kept).
    const all = await broker.readTopic('spread');
    const ids = new Set<string>();
    const records = all.filter((r) => !ids.has(r.headers['wt1-msg-id']) && ids.add(r.headers['wt1-msg-id']));
    assert.equal(records.length, 160);
    const partitionsOf = new Map<string, Set<number>>();
    const sequences = new Map<string, string[]>();
    for (const r of records) {
      assert.equal(r.key, r.json.visitorId);
      (partitionsOf.get(r.key) ?? partitionsOf.set(r.key, new Set()).get(r.key)!).add(r.partition);
      (sequences.get(r.key) ?? sequences.set(r.key, []).get(r.key)!).push(r.json.eventParams as string);
    }
    for (const [visitor, partitions] of partitionsOf) assert.equal(partitions.size, 1, `${visitor} in ${[...partitions].join(', ')}`);
    for (const [visitor, seq] of sequences) assert.deepEqual(seq, Array.from({ length: 10 }, (_, n) => `n=${n}`), `${visitor}'s events in order`);
    assert.ok(new Set(records.map((r) => r.partition)).size >= 3, 'visitors spread over the partitions');
  } finally {
    await engine.close();
  }
});

test('kafka: a bad brokers or topic value is a config error naming the key and the value', () => {
  for (const [key, value, expected] of [
    ['storage.params.brokers', 'kafka1', /^storage\.params\.brokers: "kafka1" is not host:port/],
    ['storage.params.brokers', 'k1:9092,k2:99999', /^storage\.params\.brokers: "k2:99999" is not host:port/],
    ['storage.params.brokers', 'kafka://k1:9092', /^storage\.params\.brokers: "kafka:\/\/k1:9092" is not host:port/],
    ['storage.params.topic', 'a topic', /^storage\.params\.topic: "a topic" is not a Kafka topic name/],
    ['storage.params.acks', '2', /^storage\.params\.acks: "2" is not one of 0, 1, all, -1/],
  ] as const) {
    assert.throws(() => validateConfig(new Map<string, RawValue>([['storage.class', 'kafka'], ['storage.params.brokers', 'k1:9092'], [key, value]])), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.code, 'WT1_ERR_CONFIG_INVALID');
      assert.equal(e.problems.length, 1, e.problems.join('\n'));
      assert.match(e.problems[0], expected);
      return true;
    });
  }
});

test('kafka: no broker at start stops wt1 serve with WT1_ERR_ENGINE_UNREACHABLE naming the broker', async () => {
  const port = await freePort();
  const { code, stderr } = await runWt1(['serve', '--port', '0', '--host', '127.0.0.1'], {
    env: { WT1_STORAGE__CLASS: 'kafka', WT1_STORAGE__PARAMS__BROKERS: `127.0.0.1:${port}`, WT1_STORAGE__PARAMS__CONNECT_TIMEOUT: '0.5' },
  });
  assert.equal(code, 2, stderr);
  assert.match(stderr, /WT1_ERR_ENGINE_UNREACHABLE/);
  assert.match(stderr, new RegExp(`Kafka at 127\\.0\\.0\\.1:${port}`));
});

test('kafka: broker killed mid-stream: the pixel keeps answering, /ready says 503, the buffer fills then drops and counts, delivery resumes', async () => {
  const wt1 = await startTestServer({
    'storage.class': 'kafka',
    'storage.params.brokers': broker.bootstrap,
    'storage.params.topic': 'outage',
    'storage.params.acks': 'all',
    // About 50 of these events (close to 300 bytes each).
    'storage.params.buffer.memory': '15000',
    'storage.params.reconnectWait': '0.1',
    'storage.params.requestTimeout': '2',
  });
  const storage = async (): Promise<Storage> =>
    ((await (await fetch(`${wt1.url}/internal/live`)).json()) as { processors: { storage: Storage } }).processors.storage;
  const hits = async (prefix: string, n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${wt1.url}/public/p.gif?__wt1ty=page&__wt1vic=${prefix}${String(i).padStart(3, '0')}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/gif');
      await res.arrayBuffer();
    }
  };
  const checkIdentity = (s: Storage): void => {
    assert.equal(s.received, s.written + s.failed + s.dropped + s.queued, 'queue: received = written + failed + dropped + queued');
    assert.equal(s.stats.accepted, s.written, 'every event the queue wrote was accepted by the engine');
    assert.equal(s.stats.accepted, s.stats.savedEvents + s.stats.pending + s.stats.lost, 'engine: accepted = acknowledged + pending + lost');
    assert.equal(s.failed, s.stats.dropped, 'queue failures are the engine drops');
  };
  try {
    await hits('pre', 100);
    await waitFor('all acknowledged', async () => (await storage()).stats.savedEvents === 100);
    assert.equal((await fetch(`${wt1.url}/ready`)).status, 200);

    await broker.kill('SIGKILL');
    await hits('out', 150);
    await waitFor('the queue to settle', async () => (await storage()).queued === 0);
    let s = await storage();
    checkIdentity(s);
    assert.equal(s.ready, false, 'not ready while the broker is away');
    assert.equal((await fetch(`${wt1.url}/ready`)).status, 503);
    const kept = s.stats.pending;
    assert.ok(kept > 10 && kept < 150, `part of the outage was buffered (${kept})`);
    assert.equal(s.stats.dropped, 150 - kept, 'the rest was dropped and counted');
    assert.equal(s.dropped, 0, 'the queue itself never filled: write() did not block it');

    await broker.restart();
    await waitFor('the buffer to drain', async () => (await storage()).stats.pending === 0);
    await hits('post', 50);
    await waitFor('all acknowledged', async () => (await storage()).stats.savedEvents === 150 + kept);
    s = await storage();
    checkIdentity(s);
    assert.equal(s.ready, true);
    assert.equal((await fetch(`${wt1.url}/ready`)).status, 200);
    assert.equal(s.stats.lost, 0);
    assert.equal(s.written + s.failed, 300, 'accounted = written + dropped');

    const records: StoredRecord[] = await broker.readTopic('outage');
    const visitors = records.map((r) => r.json.visitorId as string);
    const expected = [
      ...Array.from({ length: 100 }, (_, i) => `pre${String(i).padStart(3, '0')}`),
      ...Array.from({ length: kept }, (_, i) => `out${String(i).padStart(3, '0')}`),
      ...Array.from({ length: 50 }, (_, i) => `post${String(i).padStart(3, '0')}`),
    ];
    // The broker was killed, not stopped: a request it wrote but did not answer is sent again (same message id).
    const ids = new Set(records.map((r) => r.headers['wt1-msg-id']));
    assert.deepEqual([...new Set(visitors)].sort(), [...expected].sort(), 'the first events of the outage kept, the rest dropped');
    assert.equal(ids.size, 300 - (150 - kept), 'one message id per accepted event (copies share theirs)');
  } finally {
    await wt1.stop();
  }
});

test('kafka: SIGTERM sends what is buffered before exiting', async () => {
  // A long linger keeps the events in the buffer until the drain sends them.
  const wt1 = await spawnWt1([], {
    env: {
      WT1_STORAGE__CLASS: 'kafka',
      WT1_STORAGE__PARAMS__BROKERS: broker.bootstrap,
      WT1_STORAGE__PARAMS__TOPIC: 'drain',
      WT1_STORAGE__PARAMS__ACKS: 'all',
      WT1_STORAGE__PARAMS__LINGER: '60000',
      WT1_INSTANCE_ID: 'drainer',
    },
  });
  try {
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${wt1.url}/public/p.gif?__wt1ty=page&__wt1vic=d${i}`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    const live = (await (await fetch(`${wt1.url}/internal/live`)).json()) as { processors: { storage: Storage } };
    assert.equal(live.processors.storage.stats.savedEvents ?? 0, 0, 'nothing sent yet (linger)');
  } finally {
    const code = await stopWt1(wt1);
    assert.equal(code, 0, wt1.output());
  }
  const records = await broker.readTopic('drain');
  assert.deepEqual(records.map((r) => r.json.visitorId).sort(), Array.from({ length: 40 }, (_, i) => `d${i}`).sort());
});

test('kafka: wt1 cat kafka://host:port/topic reads the topic back as log lines, filtered and formatted as files, copies dropped', async () => {
  await broker.createTopic('catme', 2);
  const engine = engineFor({ 'storage.params.topic': 'catme', 'storage.params.acks': 'all', 'storage.params.decodeParams': 'true' });
  const t0 = Date.parse('2026-11-27T06:05:04.123Z');
  try {
    await engine.open();
    for (let i = 0; i < 6; i++) engine.write(sampleEvent({ visitorId: `v${i % 3}`, serverTS: t0 + i * 1000, type: i % 2 === 0 ? 'page' : 'event', eventParams: `n=${i}` }));
    // The same message id again, as after a lost acknowledgement: read once.
    await engine.deliver(sampleEvent({ visitorId: 'v0', serverTS: t0 + 10_000, eventParams: 'n=copy' }), 'fixed-id');
    await engine.deliver(sampleEvent({ visitorId: 'v0', serverTS: t0 + 11_000, eventParams: 'n=copy' }), 'fixed-id');
    await engine.flush();
  } finally {
    await engine.close();
  }
  const source = `kafka://${broker.bootstrap}/catme`;
  const all = await runWt1(['cat', source]);
  assert.equal(all.code, 0, all.stderr);
  const lines = all.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^#server_ts\tclient_ts\tclient_addr\tvisitor_id/);
  assert.equal(lines.length, 1 + 7, all.stdout);
  assert.deepEqual(lines.slice(1).map((l) => l.split('\t')[0]), [0, 1, 2, 3, 4, 5, 10].map((s) => new Date(t0 + s * 1000).toISOString().slice(0, -1)), 'merged in server_ts order across partitions');

  const some = await runWt1(['cat', source, '--format', 'jsonl', '--visitor', 'v0', '--type', 'page']);
  assert.equal(some.code, 0, some.stderr);
  const rows = some.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(rows.map((r) => [r.visitor_id, r.type, r.event_params]), [['v0', 'page', { n: '0' }], ['v0', 'page', { n: 'copy' }]]);

  const bad = await runWt1(['cat', 'kafka://nohost/topic']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /kafka:\/\/nohost\/topic: expected kafka:\/\/host:port/);
});
