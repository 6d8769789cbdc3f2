import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addStatus,
  aggregateFlush,
  aggregateHandler,
  aggregateLive,
  countsOf,
  labelMetrics,
  type WorkerInfo,
} from '../../src/cluster/aggregate.js';

const worker = (slot: number, extra: Partial<WorkerInfo> = {}): WorkerInfo => ({
  name: `w${slot}`,
  slot,
  pid: 100 + slot,
  instanceId: `web-w${slot}`,
  state: 'running',
  restarts: 0,
  ...extra,
});

const live = (received: number, queued: number, events: number[]): Record<string, unknown> => ({
  instanceId: 'x',
  serverTime: '2026-11-27T06:00:00.000',
  uptimeSeconds: received,
  receivedEvents: received,
  processors: {
    storage: {
      kind: 'storage',
      engine: 'fs',
      received,
      queued,
      capacity: 10,
      ready: true,
      stats: { savedEvents: received },
    },
  },
  handlers: { live: { visitorsCounter: 1, sums: { a: { nbElems: 1, totalValue: 2 } }, visitorsCounterCapped: false } },
  lastEvents: events.map((t) => ({ serverTS: t })),
});

test('addStatus sums numbers key by key, and-s ready, or-s other flags, keeps strings', () => {
  assert.deepEqual(
    addStatus(
      { n: 1, s: 'a', ready: true, capped: false, o: { m: 2 } },
      { n: 2, s: 'b', ready: false, capped: true, o: { m: 3, k: 1 } },
    ),
    { n: 3, s: 'a', ready: false, capped: true, o: { m: 5, k: 1 } },
  );
  assert.deepEqual(
    countsOf(live(5, 3, [1])),
    {
      receivedEvents: 5,
      processors: { storage: { received: 5, stats: { savedEvents: 5 } } },
      handlers: { live: { visitorsCounter: 1, sums: { a: { nbElems: 1, totalValue: 2 } } } },
    },
    'levels (queued, capacity, uptime), strings, flags and events are not counts',
  );
});

test('aggregateLive: sums, previous processes, a worker without answer, events merged newest first', () => {
  const doc = aggregateLive(
    [
      { worker: worker(0, { restarts: 1 }), value: live(3, 1, [10, 30]), previous: live(20, 5, [5]) },
      { worker: worker(1), value: undefined, error: 'no answer within 5 s', lastCounters: live(4, 2, []) },
      { worker: worker(2), value: live(1, 0, [20, 40]) },
    ],
    'web',
  );
  assert.equal(doc.instanceId, 'web');
  assert.equal(doc.receivedEvents, 28, '3 + 20 (replaced) + 4 (last counters) + 1');
  const storage = (doc.processors as Record<string, Record<string, unknown>>).storage;
  assert.equal(storage.queued, 3, 'levels of the living workers only');
  assert.equal(storage.capacity, 30);
  assert.equal(storage.ready, true);
  assert.deepEqual(
    (doc.lastEvents as Array<{ serverTS: number; worker: string }>).map((e) => [e.serverTS, e.worker]),
    [
      [40, 'w2'],
      [30, 'w0'],
      [20, 'w2'],
      [10, 'w0'],
    ],
  );
  assert.deepEqual(doc.cluster, { workers: 3, answered: 2 });
  const workers = doc.workers as Array<Record<string, unknown>>;
  assert.deepEqual(
    workers.map((w) => [w.name, w.answered, w.receivedEvents, w.restarts]),
    [
      ['w0', true, 3, 1],
      ['w1', false, 4, 0],
      ['w2', true, 1, 0],
    ],
  );
  assert.deepEqual(workers[0].previousProcesses, { receivedEvents: 20 });
  assert.equal(workers[1].error, 'no answer within 5 s');
  assert.equal(doc.uptimeSeconds, 3, 'the oldest answering worker');
});

test('the original WT1 keys: lastRequests merged newest first, stats.handlers summed name by name', () => {
  const wt1Live = (received: number, times: number[]): Record<string, unknown> => ({
    receivedEvents: received,
    lastRequests: times.map((t) => ({ serverTS: t, visitorId: 'v' })),
    stats: {
      receivedEvents: received,
      storage: { name: 'fs', processedEvents: received, queuedEvents: 1 },
      handlers: [{ name: 'live', processedEvents: received, queuedEvents: 1 }],
    },
  });
  const doc = aggregateLive(
    [
      { worker: worker(0, { restarts: 1 }), value: wt1Live(2, [1, 3]), previous: wt1Live(10, [0]) },
      { worker: worker(1), value: wt1Live(5, [2]) },
    ],
    'web',
  );
  assert.deepEqual(
    (doc.lastRequests as Array<Record<string, unknown>>).map((r) => r.serverTS),
    [3, 2, 1],
  );
  assert.ok(
    (doc.lastRequests as Array<Record<string, unknown>>).every((r) => !('worker' in r)),
    'in the original shape',
  );
  assert.deepEqual(doc.stats, {
    receivedEvents: 17,
    storage: { name: 'fs', processedEvents: 17, queuedEvents: 2 },
    handlers: [{ name: 'live', processedEvents: 17, queuedEvents: 2 }],
  });
});

test('handlers, flush and metrics over workers', () => {
  const merged = aggregateHandler([
    { worker: worker(0), value: { visitorsCounter: 2, sums: { a: { nbElems: 1, totalValue: 1.5 } } } },
    { worker: worker(1), value: { visitorsCounter: 3, sums: { a: { nbElems: 2, totalValue: 2 } } } },
  ]);
  assert.deepEqual(merged, {
    visitorsCounter: 5,
    sums: { a: { nbElems: 3, totalValue: 3.5 } },
    workers: {
      w0: { visitorsCounter: 2, sums: { a: { nbElems: 1, totalValue: 1.5 } } },
      w1: { visitorsCounter: 3, sums: { a: { nbElems: 2, totalValue: 2 } } },
    },
  });
  assert.deepEqual(
    aggregateFlush([
      { worker: worker(0), value: { published: ['a'] } },
      { worker: worker(1), value: { published: [] } },
    ]),
    { flushed: true, published: ['a'], workers: { w0: ['a'], w1: [] } },
  );
  const families = labelMetrics([
    {
      worker: worker(0),
      value: [
        {
          name: 'wt1_events_received_total',
          help: 'h',
          type: 'counter',
          aggregator: 'omit',
          values: [{ value: 3, labels: {} }],
        },
      ],
    },
    { worker: worker(1, { restarts: 2 }), value: undefined, error: 'x' },
  ]);
  assert.deepEqual(families[0][0].values, [{ value: 3, labels: { worker: 'w0' } }]);
  assert.equal(families[0][0].aggregator, 'sum');
  const cluster = families[families.length - 1];
  assert.deepEqual(
    cluster.map((f) => [f.name, f.values.map((v) => [v.labels.worker, v.value])]),
    [
      ['wt1_cluster_workers', [[undefined, 2]]],
      [
        'wt1_cluster_worker_up',
        [
          ['w0', 1],
          ['w1', 0],
        ],
      ],
      [
        'wt1_cluster_worker_restarts_total',
        [
          ['w0', 0],
          ['w1', 2],
        ],
      ],
    ],
  );
});
