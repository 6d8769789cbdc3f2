import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKafkaBroker, type KafkaTestBroker } from '../helpers/kafka-broker.js';
import { startTestServer } from '../helpers/server.js';

// A broker that answers but cannot keep up (here: a buffer far smaller than a burst) must slow the
// JSON API down (503, retried) instead of answering 200 for events the engine then drops.
let broker: KafkaTestBroker;
before(async () => {
  broker = await startKafkaBroker();
});
after(async () => {
  await broker?.stop();
});

type Storage = { written: number; failed: number; dropped: number; stats: Record<string, number> };

test('kafka: an API burst faster than the broker gets 503s; every event answered 200 is on the topic', async () => {
  await broker.createTopic('pressure', 1);
  const wt1 = await startTestServer({
    'storage.class': 'kafka',
    'storage.params.brokers': broker.bootstrap,
    'storage.params.topic': 'pressure',
    'storage.params.acks': 'all',
    // A few events' worth: the burst below fills it at once.
    'storage.params.buffer.memory': '1024',
    maxQueueSize: '40',
  });
  const messages = 60;
  const perMessage = 20;
  let refused = 0;
  let acceptedEvents = 0;
  const send = async (m: number): Promise<void> => {
    const body = JSON.stringify({
      visitorId: `v${m}`,
      events: Array.from({ length: perMessage }, (_, i) => ({ type: 'event', params: { m, i } })),
    });
    for (;;) {
      const res = await fetch(`${wt1.url}/public/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      await res.arrayBuffer();
      if (res.status === 200) {
        acceptedEvents += perMessage;
        return;
      }
      assert.equal(res.status, 503, `message ${m}: unexpected status ${res.status}`);
      assert.equal(res.headers.get('x-wt1-error'), 'WT1_ERR_OVERLOADED');
      refused++;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    // Eight senders at once, as a server-side client with a connection pool would.
    const queue = Array.from({ length: messages }, (_, m) => m);
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let m = queue.shift(); m !== undefined; m = queue.shift()) await send(m);
      }),
    );
    assert.equal(acceptedEvents, messages * perMessage);
    assert.ok(refused > 0, 'the burst was refused at least once (the buffer and queue are far smaller than it)');
    let records = await broker.readTopic('pressure');
    for (let i = 0; i < 400 && records.length < acceptedEvents; i++) {
      await new Promise((r) => setTimeout(r, 50));
      records = await broker.readTopic('pressure');
    }
    const storage = ((await (await fetch(`${wt1.url}/internal/live`)).json()) as { processors: { storage: Storage } })
      .processors.storage;
    assert.equal(storage.failed, 0, 'no event was failed after a 200');
    assert.equal(storage.stats.dropped, 0, 'the engine dropped nothing while the broker answered');
    const ids = new Set(records.map((r) => r.headers['wt1-msg-id']));
    assert.equal(records.length, acceptedEvents, 'every event answered 200 is on the topic');
    assert.equal(ids.size, acceptedEvents, 'once each');
  } finally {
    await wt1.stop();
  }
});
