import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startKafkaBroker, type KafkaTestBroker, type StoredRecord } from '../helpers/kafka-broker.js';
import { kafkaEngineFor, liveStorage, waitFor } from '../helpers/kafka-wt1.js';
import { sampleEvent } from '../helpers/events.js';
import { removeDir, startTestServer, tempDir } from '../helpers/server.js';
import { freePort, spawnWt1, stopWt1, type Wt1Process } from '../helpers/process.js';
import { load, type Refusals } from '../helpers/durable-load.js';

// ackMode=durable on Kafka: the engine's side of the write-ahead spool (write with the spool's id,
// confirmed()), then whole collectors: a broker outage and a kill -9 lose no event answered 200.
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
      assert.equal(engine.stats().dropped, 0, 'a refused spool write is tried again, not dropped');
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

/**
 * Every acknowledged event (by its `id=` param) is on the topic. Kafka may store a message twice (a
 * request sent again after the broker died before answering): a copy must carry the same message id,
 * and a message id belongs to one event. Returns how many records were copies.
 */
function checkDelivered(acked: Set<string>, records: StoredRecord[]): number {
  const msgIdOf = new Map<string, string>();
  const eventOf = new Map<string, string>();
  for (const r of records) {
    const params = String(r.json.eventParams ?? '');
    const id = /(?:^|&)id=([gpa]\d+[xy]?)/.exec(params)?.[1] ?? `? ${params}`;
    const msgId = r.headers['wt1-msg-id'];
    assert.equal(msgIdOf.get(id) ?? msgId, msgId, `event ${id} stored under two message ids`);
    assert.equal(eventOf.get(msgId) ?? id, id, `message id ${msgId} on two events`);
    msgIdOf.set(id, msgId);
    eventOf.set(msgId, id);
  }
  const missing = [...acked].filter((id) => !msgIdOf.has(id));
  assert.deepEqual(missing, [], `every acknowledged event is on the topic (${acked.size} acknowledged)`);
  return records.length - msgIdOf.size;
}

test('kafka durable: broker killed then restarted: nothing answered 200 is lost, 503 past the spool', async () => {
  const dir = tempDir();
  const wt1 = await startTestServer({
    ackMode: 'durable',
    'storage.class': 'kafka',
    'storage.params.brokers': broker.bootstrap,
    'storage.params.topic': 'durable-outage',
    'storage.params.acks': 'all',
    // A small engine buffer: during the outage the backlog is in the spool, not in memory.
    'storage.params.buffer.memory': '16384',
    'storage.params.reconnectWait': '0.1',
    'durable.spoolDir': dir,
    'durable.maxSpoolBytes': '131072',
  });
  const acked = new Set<string>();
  const stop = { now: false };
  const refusals: Refusals = { count: 0, withoutRetryAfter: 0, codes: new Set() };
  const state = () => liveStorage(wt1.url);
  try {
    const sending = load(wt1.url, acked, stop, 8, refusals);
    await waitFor(broker, 'events acknowledged before the outage', () => acked.size >= 300, { state });
    await broker.kill('SIGKILL');
    const atKill = acked.size;
    // The spool takes what the engine's buffer cannot, then refuses: 503, never a 200 it may not keep.
    await waitFor(broker, '503s once the spool is full', () => refusals.count >= 30, { state });
    assert.ok(acked.size > atKill + 100, `answered 200 during the outage: ${acked.size - atKill}`);
    const full = await liveStorage(wt1.url);
    assert.ok(full.stats.durableSpoolBytes <= 131072, `within the bound: ${full.stats.durableSpoolBytes}`);
    assert.equal(full.stats.connected, 0, 'the broker is away');
    assert.equal(refusals.withoutRetryAfter, 0, 'every 503 says Retry-After');
    for (const code of refusals.codes) assert.match(code, /^WT1_ERR_(OVERLOADED|NOT_DURABLE)$/);
    await broker.restart();
    const atRestart = acked.size;
    await waitFor(broker, '200s again after the restart', () => acked.size >= atRestart + 300, { state });
    stop.now = true;
    await sending;
    await waitFor(broker, 'the spool to drain', async () => (await state()).stats.durableSpoolBytes === 0, { state });
    const after = await liveStorage(wt1.url);
    // An event the full spool refused was answered 503 NOT_DURABLE: counted, never a 200.
    assert.equal(after.failed, after.stats.durableSpoolRefused, 'the only failures are the spool refusals');
    assert.equal(after.stats.lost, 0);
    assert.ok(after.stats.durableSpoolRetries > 0, 'the engine refused events while away; the spool kept them');
    checkDelivered(acked, await broker.readTopic('durable-outage'));
  } finally {
    stop.now = true;
    await wt1.stop();
    removeDir(dir);
  }
});

test('kafka durable: kill -9 of wt1 serve, then a restart: every event answered 200 is on the topic', async () => {
  const dir = tempDir();
  const env = {
    WT1_ACK_MODE: 'durable',
    WT1_LOG_LEVEL: 'warn',
    WT1_STORAGE__CLASS: 'kafka',
    WT1_STORAGE__PARAMS__BROKERS: broker.bootstrap,
    WT1_STORAGE__PARAMS__TOPIC: 'durable-crash',
    WT1_STORAGE__PARAMS__ACKS: 'all',
    WT1_STORAGE__PARAMS__BUFFER__MEMORY: '16384',
    WT1_STORAGE__PARAMS__RECONNECT_WAIT: '0.1',
    WT1_DURABLE__SPOOL_DIR: path.join(dir, 'spool'),
  };
  const port = await freePort();
  const acked = new Set<string>();
  const stop = { now: false };
  const started: Wt1Process[] = [];
  try {
    const first = await spawnWt1([], { port, env });
    started.push(first);
    const sending = load(first.url, acked, stop, 16);
    await waitFor(broker, 'events acknowledged', () => acked.size >= 600);
    // The broker away for the last part: those events are only in the spool when wt1 dies.
    await broker.kill('SIGKILL');
    const atKill = acked.size;
    await waitFor(broker, 'events acknowledged with the broker away', () => acked.size >= atKill + 600);
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    stop.now = true;
    await sending;
    await broker.restart();
    const second = await spawnWt1([], { port, env });
    started.push(second);
    const state = () => liveStorage(second.url);
    await waitFor(broker, 'the spool to drain', async () => (await state()).stats.durableSpoolBytes === 0, { state });
    assert.ok((await state()).stats.durableSpoolReplayedEvents > 0, 'the events left by the crash were sent');
    assert.equal(await stopWt1(second), 0, second.output());
    checkDelivered(acked, await broker.readTopic('durable-crash'));
  } finally {
    stop.now = true;
    for (const p of started) p.child.kill('SIGKILL');
    removeDir(dir);
  }
});
