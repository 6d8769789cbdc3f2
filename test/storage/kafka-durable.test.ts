import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKafkaBroker, type KafkaTestBroker } from '../helpers/kafka-broker.js';
import { kafkaEngineFor, waitFor } from '../helpers/kafka-wt1.js';
import { sampleEvent } from '../helpers/events.js';

// ackMode=durable on Kafka: what the write-ahead spool relies on (write with its own id, confirmed()).
let broker: KafkaTestBroker;
before(async () => {
  broker = await startKafkaBroker();
});
after(async () => {
  await broker?.stop();
});

test(
  'kafka: confirmed() counts, in write order, only events the broker ' +
    'acknowledged; the ids given are the message ids',
  async () => {
    const engine = kafkaEngineFor(broker, {
      'storage.params.topic': 'confirm',
      'storage.params.acks': 'all',
      // About 10 of these events.
      'storage.params.buffer.memory': '3000',
      'storage.params.reconnectWait': '0.1',
    });
    const event = (i: number) => sampleEvent({ visitorId: `v${i % 4}`, eventParams: `n=${i}` });
    const written: string[] = [];
    try {
      await engine.open();
      for (let i = 0; i < 20; i++) {
        await engine.write(event(i), `seg-1-${i}`);
        written.push(`seg-1-${i}`);
      }
      await waitFor(broker, 'the first 20 confirmed', () => engine.confirmed() === 20, { state: () => engine.stats() });

      await broker.kill('SIGKILL');
      // Written until one is refused (the buffer full while the broker is away): the spool keeps that one.
      let refused: number | undefined;
      for (let i = 20; refused === undefined; i++) {
        try {
          await engine.write(event(i), `seg-1-${i}`);
          written.push(`seg-1-${i}`);
        } catch (error) {
          assert.equal((error as { code?: string }).code, 'WT1_ERR_ENGINE_BUFFER_FULL');
          refused = i;
        }
      }
      assert.ok(written.length > 21, `some events buffered during the outage (${written.length - 20})`);
      assert.equal(engine.confirmed(), 20, 'nothing written during the outage is confirmed');

      await broker.restart();
      // The spool writes the refused event again, with the same id, in the same order.
      await waitFor(broker, 'room in the buffer', () => engine.ready(), { state: () => engine.stats() });
      await engine.write(event(refused), `seg-1-${refused}`);
      written.push(`seg-1-${refused}`);
      await waitFor(broker, 'every event confirmed', () => engine.confirmed() === written.length, {
        state: () => engine.stats(),
      });
      assert.equal(engine.stats().lost, 0);
    } finally {
      await engine.close();
    }
    const records = await broker.readTopic('confirm');
    const ids = records.map((r) => r.headers['wt1-msg-id']);
    assert.deepEqual([...new Set(ids)].sort(), [...written].sort(), 'every written event on the topic, by its id');
    for (const r of records) {
      const n = Number(r.headers['wt1-msg-id'].split('-')[2]);
      assert.equal(r.json.eventParams, `n=${n}`, 'a copy carries the id of the event it copies');
    }
  },
);
