import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type ClientLogger } from '../../src/client/index.js';
import type { StorageEngine } from '../../src/storage/engine.js';
import type { TrackedEvent } from '../../src/event/event.js';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { readAllRows } from '../helpers/files.js';

/**
 * The storage engine of an in-process collector (storageThread=false), slowed to about 1 event per
 * ms, and held still until `release` when `held`.
 */
function slowDown(server: TestServer, held = false): () => void {
  const processor = server.collector.context.dispatcher.processors.find((p) => p.kind === 'storage');
  assert.ok(processor && processor.kind === 'storage');
  const engine = processor.engine as StorageEngine;
  const write = engine.write.bind(engine);
  let release = (): void => {};
  const gate = held
    ? new Promise<void>((r) => {
        release = r;
      })
    : Promise.resolve();
  engine.write = async (event: TrackedEvent) => {
    await gate;
    await sleep(1);
    await write(event);
  };
  return release;
}

const quietLogger = (): ClientLogger => ({ warn: () => {}, error: () => {} });

test(
  'API back-pressure: a message a queue cannot take whole is refused with 503, ' +
    'Retry-After and WT1_ERR_OVERLOADED, nothing of it queued',
  async () => {
    const server = await startTestServer({ maxQueueSize: 5 }, { storageThread: false });
    try {
      const release = slowDown(server, true);
      const post = (n: number, tag: string): Promise<Response> =>
        fetch(`${server.url}/public/events`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            events: Array.from({ length: n }, (_, i) => ({ type: 'event', params: `tag=${tag}&i=${i}` })),
          }),
        });
      const first = await post(4, 'first');
      assert.equal(first.status, 200);
      const refused = await post(3, 'refused');
      assert.equal(refused.status, 503, 'the queue holds 4 of 5: 3 more do not fit');
      assert.equal(refused.headers.get('x-wt1-error'), 'WT1_ERR_OVERLOADED');
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.match(await refused.text(), /nothing of it was queued/);
      const dispatcher = server.collector.context.dispatcher;
      assert.equal(dispatcher.refused, 3);
      assert.equal(dispatcher.received, 4);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /^wt1_events_refused_total 3$/m);
      // The pixel keeps WT1's rule: answered at once, dropped and counted past the bound.
      const pixels = await Promise.all(
        Array.from({ length: 10 }, (_, i) => fetch(`${server.url}/public/p.gif?tag=pixel&i=${i}`)),
      );
      assert.deepEqual(
        pixels.map((r) => r.status),
        Array(10).fill(200),
      );
      release();
      await dispatcher.drain();
      const c = dispatcher.counters().storage;
      assert.equal(c.dropped, 9, `the queue held 4, 1 more hit fit, 9 dropped and counted: ${JSON.stringify(c)}`);
      assert.equal(c.received, c.written + c.dropped + c.failed + c.queued);
    } finally {
      await server.stop();
    }
    const rows = readAllRows(server.root);
    assert.equal(rows.filter((r) => r.event_params?.startsWith('tag=first')).length, 4);
    assert.equal(
      rows.filter((r) => r.event_params?.startsWith('tag=refused')).length,
      0,
      'nothing of a refused message is written',
    );
    removeDir(server.root);
  },
);

test(
  'API back-pressure: wt1/client delivers every event exactly once ' +
    'through a long overload (small queue, fast senders)',
  async () => {
    const server = await startTestServer({ maxQueueSize: 60 }, { storageThread: false });
    const senders = 4;
    const perSender = 400;
    const clients = Array.from({ length: senders }, () =>
      createClient({
        url: server.url,
        batchSize: 50,
        flushInterval: 5,
        initialRetryDelay: 5,
        maxRetryDelay: 50,
        maxRetries: 100_000,
        logger: quietLogger(),
      }),
    );
    try {
      slowDown(server);
      for (let i = 0; i < perSender; i++) {
        for (let s = 0; s < senders; s++) clients[s].track({ type: 'event', params: { s, i } });
      }
      const stats = await Promise.all(clients.map((c) => c.close()));
      for (const st of stats)
        assert.deepEqual(
          { ...st, retries: 0 },
          { tracked: perSender, sent: perSender, dropped: 0, rejected: 0, failed: 0, retries: 0, buffered: 0 },
        );
      assert.ok(
        stats.some((st) => st.retries > 0),
        'the senders were told to retry',
      );
      const dispatcher = server.collector.context.dispatcher;
      assert.ok(dispatcher.refused > 0, 'messages were refused during the overload');
      await dispatcher.drain();
      const c = dispatcher.counters().storage;
      assert.deepEqual(
        { dropped: c.dropped, failed: c.failed, written: c.written },
        { dropped: 0, failed: 0, written: senders * perSender },
      );
    } finally {
      await server.stop();
    }
    const seen = readAllRows(server.root)
      .map((r) => r.event_params)
      .sort();
    const expected = [];
    for (let s = 0; s < senders; s++) for (let i = 0; i < perSender; i++) expected.push(`s=${s}&i=${i}`);
    assert.deepEqual(seen, expected.sort(), 'every event exactly once');
    removeDir(server.root);
  },
);
