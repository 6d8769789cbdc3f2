import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'nats';
import { startNatsServer } from '../helpers/nats-server.js';
import { startTestServer } from '../helpers/server.js';
import { sendApiBurst } from '../helpers/api-burst.js';

type Storage = { written: number; failed: number; stats: Record<string, number> };

// As for Kafka: a server that answers, but a buffer far smaller than a burst, must slow the JSON API
// down (503, retried) instead of answering 200 for events the engine then drops.
test('nats: an API burst faster than the stream gets 503s; every event answered 200 is stored once', async () => {
  const nats = await startNatsServer();
  const wt1 = await startTestServer({
    'storage.class': 'nats',
    'storage.params.servers': nats.url,
    'storage.params.stream': 'PRESSURE',
    'storage.params.maxBufferedEvents': '5',
    maxQueueSize: '40',
  });
  try {
    const { acceptedEvents, refused } = await sendApiBurst(wt1.url, { messages: 60, perMessage: 20 });
    assert.equal(acceptedEvents, 60 * 20);
    assert.ok(refused > 0, 'the burst was refused at least once (the buffer and queue are far smaller than it)');
    const live = async (): Promise<Storage> =>
      ((await (await fetch(`${wt1.url}/internal/live`)).json()) as { processors: { storage: Storage } }).processors
        .storage;
    for (let i = 0; i < 400 && (await live()).stats.savedEvents < acceptedEvents; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const storage = await live();
    assert.equal(storage.failed, 0, 'no event was failed after a 200');
    assert.equal(storage.stats.dropped, 0, 'the engine dropped nothing while the server answered');
    const nc = await connect({ servers: nats.url });
    try {
      const { state } = await (await nc.jetstreamManager()).streams.info('PRESSURE');
      assert.equal(state.messages, acceptedEvents, 'every event answered 200 is in the stream, once');
    } finally {
      await nc.close();
    }
  } finally {
    await wt1.stop();
    await nats.stop();
  }
});
