import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKafkaBroker, type KafkaTestBroker } from '../helpers/kafka-broker.js';
import { startTestServer } from '../helpers/server.js';
import { sendApiBurst } from '../helpers/api-burst.js';

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
  try {
    const { acceptedEvents, refused } = await sendApiBurst(wt1.url, { messages: 60, perMessage: 20 });
    assert.equal(acceptedEvents, 60 * 20);
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
