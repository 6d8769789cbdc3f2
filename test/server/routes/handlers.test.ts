import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, startTestServer } from '../../helpers/server.js';
import { withHandlers } from '../../../src/handlers/registry.js';
import { sendJson } from '../../../src/server/respond.js';

const COUNTER_KEYS = {
  sessionExpiration: 60,
  'handler.live.class': 'com.dataiku.wt1.handlers.CounterHandler',
  'handler.live.params.sum.revenue.filterKey': 'type',
  'handler.live.params.sum.revenue.filterValue': 'purchase',
  'handler.live.params.sum.revenue.valueKey': 'amount',
};

test(
  '/internal/handlers/NAME answers the CounterHandler JSON after a ' + 'scripted sequence driven by the injected clock',
  async () => {
    let now = Date.UTC(2026, 10, 27, 7, 0, 0);
    const server = await startTestServer(COUNTER_KEYS, { now: () => now });
    try {
      const hit = async (query: string): Promise<void> => {
        const res = await fetch(`${server.url}/public/p.gif?__wt1ty=page&${query}`);
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      };
      const settle = (): Promise<void> => server.collector.context.dispatcher.drain();
      await hit('__wt1vic=v1&__wt1sic=s1');
      await hit('__wt1vic=v1&__wt1sic=s1&type=purchase&amount=19.99');
      await hit('__wt1vic=v2&__wt1sic=s2');
      await settle();
      now += 30_000;
      await hit('__wt1vic=v2&__wt1sic=s2&type=purchase&amount=5.01');
      await settle();
      now += 70_000; // s1 idle 100 s and s2 idle 70 s: both ended
      await hit('__wt1vic=v1&__wt1sic=s1'); // s1 again: a new visit
      await settle();

      const res = await fetch(`${server.url}/internal/handlers/live`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const expected = {
        visitorsCounter: 2,
        visitsCounter: 3,
        activeVisitsGauge: 1,
        sums: { revenue: { nbElems: 2, totalValue: 25 } },
        visitorsCounterCapped: false,
        evictedActiveVisits: 0,
      };
      assert.deepEqual(await res.json(), expected);
      // A sub-path reaches the same handler; another name is not a prefix match (WT1 matched "/live" for "/livex").
      const sub = await fetch(`${server.url}/internal/handlers/live/counters`);
      assert.deepEqual(await sub.json(), expected);
      const other = await fetch(`${server.url}/internal/handlers/livex`);
      assert.equal(other.status, 404);
      await other.arrayBuffer();
      const list = await fetch(`${server.url}/internal/handlers`);
      assert.deepEqual(await list.json(), { handlers: ['live'] });
      const post = await fetch(`${server.url}/internal/handlers/live`, { method: 'POST' });
      assert.equal(post.status, 405);
      await post.arrayBuffer();

      // /internal/live shows the handler's own queue counters and the same snapshot.
      const live = (await (await fetch(`${server.url}/internal/live`)).json()) as {
        processors: Record<
          string,
          { kind: string; handler: string; processedEvents: number; lostInQueueEvents: number; queuedEvents: number }
        >;
        handlers: Record<string, unknown>;
      };
      assert.equal(live.processors.live.kind, 'handler');
      assert.equal(live.processors.live.handler, 'counter');
      assert.equal(live.processors.live.processedEvents, 5);
      assert.equal(live.processors.live.lostInQueueEvents, 0);
      assert.equal(live.processors.live.queuedEvents, 0);
      assert.deepEqual(live.handlers.live, expected);
    } finally {
      await server.stop();
      removeDir(server.root);
    }
  },
);

test('handler endpoints are behind the admin protection', async () => {
  const server = await startTestServer({ ...COUNTER_KEYS, adminToken: 's3cret' });
  try {
    for (const path of ['/internal/handlers/live', '/internal/handlers', '/internal/handlers/nope']) {
      const res = await fetch(server.url + path);
      assert.equal(res.status, 401, path);
      await res.arrayBuffer();
    }
    const ok = await fetch(`${server.url}/internal/handlers/live`, { headers: { Authorization: 'Bearer s3cret' } });
    assert.equal(ok.status, 200);
    await ok.arrayBuffer();
    const missing = await fetch(`${server.url}/internal/handlers/nope`, {
      headers: { Authorization: 'Bearer s3cret' },
    });
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
  } finally {
    await server.stop();
    removeDir(server.root);
  }
});

test('a handler with an http method answers its own requests, any method, with the sub-path', async () => {
  const handlers = withHandlers({
    name: 'echo-path',
    wt1ClassNames: [],
    params: {},
    create: () => ({
      process() {},
      http(req, res, subPath) {
        req.resume();
        sendJson(res, 200, { method: req.method, subPath });
      },
    }),
  });
  assert.throws(
    () => withHandlers({ name: 'counter', wt1ClassNames: [], params: {}, create: () => ({ process() {} }) }),
    /already registered/,
  );
  const server = await startTestServer({ 'handler.echo.class': 'echo-path' }, { handlers });
  try {
    const res = await fetch(`${server.url}/internal/handlers/echo/a/b`, { method: 'DELETE' });
    assert.deepEqual(await res.json(), { method: 'DELETE', subPath: '/a/b' });
    const bare = await fetch(`${server.url}/internal/handlers/echo`);
    assert.deepEqual(await bare.json(), { method: 'GET', subPath: '' });
  } finally {
    await server.stop();
    removeDir(server.root);
  }
});
