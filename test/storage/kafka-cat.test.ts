import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKafkaBroker, type KafkaTestBroker } from '../helpers/kafka-broker.js';
import { kafkaEngineFor } from '../helpers/kafka-wt1.js';
import { runWt1 } from '../helpers/process.js';
import { sampleEvent } from '../helpers/events.js';

// One broker for the whole file (a JVM start costs seconds); each test uses its own topic.
let broker: KafkaTestBroker;
before(async () => {
  broker = await startKafkaBroker();
});
after(async () => {
  await broker?.stop();
});

test(
  'kafka: wt1 cat kafka://host:port/topic reads the topic back as log ' +
    'lines, filtered and formatted as files, copies dropped',
  async () => {
    await broker.createTopic('catme', 2);
    const engine = kafkaEngineFor(broker, {
      'storage.params.topic': 'catme',
      'storage.params.acks': 'all',
      'storage.params.decodeParams': 'true',
    });
    const t0 = Date.parse('2026-11-27T06:05:04.123Z');
    try {
      await engine.open();
      for (let i = 0; i < 6; i++)
        engine.write(
          sampleEvent({
            visitorId: `v${i % 3}`,
            serverTS: t0 + i * 1000,
            type: i % 2 === 0 ? 'page' : 'event',
            eventParams: `n=${i}`,
          }),
        );
      // The same message id again, as after a lost acknowledgement: read once.
      engine.write(sampleEvent({ visitorId: 'v0', serverTS: t0 + 10_000, eventParams: 'n=copy' }), 'fixed-id');
      await engine.flush();
      engine.write(sampleEvent({ visitorId: 'v0', serverTS: t0 + 11_000, eventParams: 'n=copy' }), 'fixed-id');
      await engine.flush();
      assert.equal(engine.confirmed(), 8, 'every event acknowledged');
    } finally {
      await engine.close();
    }
    const source = `kafka://${broker.bootstrap}/catme`;
    const all = await runWt1(['cat', source]);
    assert.equal(all.code, 0, all.stderr);
    const lines = all.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^#server_ts\tclient_ts\tclient_addr\tvisitor_id/);
    assert.equal(lines.length, 1 + 7, all.stdout);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split('\t')[0]),
      [0, 1, 2, 3, 4, 5, 10].map((s) => new Date(t0 + s * 1000).toISOString().slice(0, -1)),
      'merged in server_ts order across partitions',
    );

    const some = await runWt1(['cat', source, '--format', 'jsonl', '--visitor', 'v0', '--type', 'page']);
    assert.equal(some.code, 0, some.stderr);
    const rows = some.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      rows.map((r) => [r.visitor_id, r.type, r.event_params]),
      [
        ['v0', 'page', { n: '0' }],
        ['v0', 'page', { n: 'copy' }],
      ],
    );

    const bad = await runWt1(['cat', 'kafka://nohost/topic']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /kafka:\/\/nohost\/topic: expected kafka:\/\/host:port/);
  },
);
