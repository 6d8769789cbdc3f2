import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HandlerDescriptor } from '../../src/handlers/handler.js';
import { withHandlers } from '../../src/handlers/registry.js';
import { removeDir, startTestServer, waitForReceived } from '../helpers/server.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';

/** A handler whose snapshot always throws. */
const brokenHandler: HandlerDescriptor = {
  name: 'broken',
  wt1ClassNames: [],
  params: {},
  create() {
    return {
      process() {},
      snapshot() {
        throw new Error('snapshot exploded');
      },
    };
  },
};

test(
  'collector.status(): one throwing engine (stats, ready) or handler ' +
    '(snapshot) does not break /metrics, /internal/live or /ready',
  async () => {
    const server = await startTestServer(
      { 'handler.bad.class': 'broken', 'handler.good.class': 'counter' },
      { handlers: withHandlers(brokenHandler), storageThread: false },
    );
    try {
      const storage = server.collector.context.dispatcher.processors.find((p) => p.kind === 'storage')!;
      // The engine object is the real fs engine: its two status calls are made to throw, as a broken plugin's would.
      Object.assign(storage.engine, {
        stats: () => {
          throw new Error('stats exploded');
        },
        ready: () => {
          throw new Error('ready exploded');
        },
      });
      await fetch(`${server.url}/public/p.gif?__wt1ty=page`).then((r) => r.arrayBuffer());
      await waitForReceived(server, 1);

      const status = server.collector.status();
      assert.equal(
        JSON.stringify(JSON.parse(JSON.stringify(status))),
        JSON.stringify(status),
        'the status is plain data',
      );
      const byName = Object.fromEntries(status.processors.map((p) => [p.name, p]));
      assert.match(byName.storage.error ?? '', /stats\(\) threw: stats exploded; ready\(\) threw: ready exploded/);
      assert.match(byName.bad.error ?? '', /snapshot\(\) threw: snapshot exploded/);
      assert.equal(byName.good.error, undefined);
      assert.equal(status.ready, false, 'an engine that cannot answer ready() is not ready');

      const live = await fetch(`${server.url}/internal/live`);
      assert.equal(live.status, 200);
      const doc = (await live.json()) as {
        processors: Record<string, { error?: string }>;
        handlers: Record<string, unknown>;
      };
      assert.match(doc.processors.bad.error ?? '', /snapshot exploded/);
      assert.equal(doc.handlers.bad, null);
      assert.notEqual(doc.handlers.good, null, 'the other handler is shown as usual');

      const metrics = await fetch(`${server.url}/metrics`);
      assert.equal(metrics.status, 200);
      const samples = parsePrometheus(await metrics.text());
      assert.equal(sampleValue(samples, 'wt1_ready'), 0);
      assert.equal(sampleValue(samples, 'wt1_processor_received_total', { processor: 'good' }), 1);

      const ready = await fetch(`${server.url}/ready`);
      assert.equal(ready.status, 503);
      assert.deepEqual(((await ready.json()) as { storage: unknown }).storage, { storage: false });
    } finally {
      await server.stop();
      removeDir(server.root);
    }
  },
);
