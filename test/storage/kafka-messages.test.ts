import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKafkaBroker, type KafkaTestBroker } from '../helpers/kafka-broker.js';
import { kafkaEngineFor, waitFor } from '../helpers/kafka-wt1.js';
import { startTestServer } from '../helpers/server.js';
import { sampleEvent } from '../helpers/events.js';

// What the Kafka engine puts on a topic: the message of each event, its key, its id, partitioning.
// One broker for the whole file (a JVM start costs seconds); each test uses its own topic.
let broker: KafkaTestBroker;
before(async () => {
  broker = await startKafkaBroker();
});
after(async () => {
  await broker?.stop();
});

test(
  'kafka: a pixel hit and an API event become exactly the JSON messages of ' +
    "WT1's Kafka engine, keyed by visitor, with a message id",
  async () => {
    const wt1 = await startTestServer({
      'storage.class': 'com.dataiku.wt1.storage.KafkaStorageProcessor',
      'storage.params.brokers': broker.bootstrap,
      'storage.params.topic': 'exact',
      'storage.params.acks': 'all',
      instanceId: 'edge-1',
    });
    try {
      const pixel = await fetch(
        `${wt1.url}/public/p.gif?__wt1ty=page&__wt1vic=vis-1&__wt1sic=ses-1&__wt1ts=1764223503999&__wt1tzo=-60` +
          '&__wt1lang=fr-FR&__wt1bw=1280&__wt1bh=720&__wt1sw=1920&__wt1sh=1080&__wt1vpc=plan%3Dpro' +
          '&__wt1ref=https%3A%2F%2Fsearch.example%2F&color=blue&n=3',
        {
          headers: {
            'User-Agent': 'Mozilla/5.0 (X11)',
            Referer: 'https://site.example/a?b=c',
            'X-Forwarded-For': '203.0.113.7',
          },
        },
      );
      assert.equal(pixel.status, 200);
      await pixel.arrayBuffer();
      const api = await fetch(`${wt1.url}/public/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          visitorId: 'u-123',
          sessionId: 's-456',
          vparams: 'plan=pro',
          ua: 'MyApp/2.1',
          clientLang: 'fr',
          events: [{ type: 'event', clientTS: 1700000000500, page: 'app://home', params: 'action=buy&total=42.5' }],
        }),
      });
      assert.equal(api.status, 200);
      await fetch(`${wt1.url}/internal/flush`, { method: 'POST' });
      const records = await broker.readTopic('exact');
      assert.equal(records.length, 2);
      const byVisitor = new Map(records.map((r) => [r.key, r]));
      for (const r of records) {
        assert.match(r.headers['wt1-msg-id'], /^edge-1-[0-9a-f]{8}-\d+$/);
        assert.match(r.json.serverTS as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.ok(
          Math.abs(Date.parse(r.json.serverTS as string) - Date.now()) < 10 * 60_000,
          'serverTS is the arrival time',
        );
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
  },
);

test('kafka: decodeParams gives objects with typed numbers, as the NATS engine', async () => {
  const engine = kafkaEngineFor(broker, {
    'storage.params.topic': 'decoded',
    'storage.params.decodeParams': 'true',
    'storage.params.acks': 'all',
  });
  try {
    await engine.open();
    engine.write(sampleEvent({ visitorId: 'a' }));
    await engine.flush();
    assert.deepEqual(
      { accepted: engine.stats().accepted, savedEvents: engine.stats().savedEvents, pending: engine.stats().pending },
      { accepted: 1, savedEvents: 1, pending: 0 },
    );
    const [record] = await broker.readTopic('decoded');
    assert.deepEqual(record.json.eventParams, { color: 'blue', price: 12.5, n: 3, tag: ['a', 'b'] });
    assert.deepEqual(record.json.sessionParams, {});
    assert.equal(record.key, 'a');
  } finally {
    await engine.close();
  }
});

test("kafka: acks=0 (WT1's default) still delivers; saved then means written to the socket", async () => {
  const engine = kafkaEngineFor(broker, { 'storage.params.topic': 'noack' });
  try {
    await engine.open();
    for (let i = 0; i < 5; i++) engine.write(sampleEvent({ visitorId: `n${i}` }));
    await engine.flush();
    assert.equal(engine.stats().savedEvents, 5);
    await waitFor(
      broker,
      'the 5 messages on the topic',
      async () => (await broker.readTopic('noack').catch(() => [])).length === 5,
    );
    assert.deepEqual((await broker.readTopic('noack')).map((r) => r.key).sort(), ['n0', 'n1', 'n2', 'n3', 'n4']);
  } finally {
    await engine.close();
  }
});

test("kafka: partitioned by visitor: one visitor's events in one partition, in order; visitors spread", async () => {
  await broker.createTopic('spread', 4);
  const engine = kafkaEngineFor(broker, {
    'storage.params.topic': 'spread',
    'storage.params.acks': 'all',
    'storage.params.maxRequestSize': '2000',
    'storage.params.linger': '0',
  });
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
    for (const [visitor, partitions] of partitionsOf)
      assert.equal(partitions.size, 1, `${visitor} in ${[...partitions].join(', ')}`);
    for (const [visitor, seq] of sequences)
      assert.deepEqual(
        seq,
        Array.from({ length: 10 }, (_, n) => `n=${n}`),
        `${visitor}'s events in order`,
      );
    assert.ok(new Set(records.map((r) => r.partition)).size >= 3, 'visitors spread over the partitions');
  } finally {
    await engine.close();
  }
});
