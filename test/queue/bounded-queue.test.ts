import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { BoundedQueue } from '../../src/queue/bounded-queue.js';
import type { Consumer, QueueCounters } from '../../src/queue/event-queue.js';
import { Dispatcher } from '../../src/queue/dispatcher.js';
import { QueueBound } from '../../src/queue/queue-bound.js';
import type { TrackedEvent } from '../../src/event/event.js';
import { silentLogger } from '../../src/log.js';

const ev = (n: number): TrackedEvent => ({
  serverTS: n,
  clientTS: 0,
  origAddress: '',
  visitorId: String(n),
  sessionId: '',
  globalVisitorId: null,
  page: null,
  referer: null,
  ua: null,
  type: null,
  visitorParams: null,
  sessionParams: null,
  eventParams: '',
  browserWidth: 0,
  browserHeight: 0,
  screenWidth: 0,
  screenHeight: 0,
  browserLanguage: null,
  tzOffset: null,
});

function assertBalanced(c: QueueCounters, where: string): void {
  assert.equal(c.received, c.written + c.queued + c.dropped + c.failed, `${where}: ${JSON.stringify(c)}`);
}

test('received = written + queued + dropped + failed at every moment, with a slow async consumer', async () => {
  const seen: number[] = [];
  let release: () => void = () => {};
  const q = new BoundedQueue(
    'slow',
    {
      process: (e) =>
        new Promise<void>((resolve) => {
          seen.push(e.serverTS);
          release = resolve;
        }),
    },
    10,
  );
  for (let i = 0; i < 25; i++) {
    q.offer(ev(i));
    assertBalanced(q.counters(), `offer ${i}`);
  }
  let c = q.counters();
  assert.equal(c.received, 25);
  assert.equal(c.queued, 10, 'the queue holds its capacity, counting the event being processed');
  assert.equal(c.dropped, 15);
  for (let i = 0; i < 40; i++) {
    await tick();
    release();
    assertBalanced(q.counters(), `step ${i}`);
  }
  await q.barrier();
  c = q.counters();
  assert.deepEqual({ ...c }, { received: 25, queued: 0, written: 10, dropped: 15, failed: 0, capacity: 10 });
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'in order, the first ten kept');
});

test(
  'maxBytes bounds the text waiting: large events past it are ' + 'dropped and counted; one alone always goes through',
  async () => {
    const big = (n: number): TrackedEvent => ({ ...ev(n), eventParams: 'x'.repeat(10_000) });
    let release: () => void = () => {};
    const seen: number[] = [];
    const q = new BoundedQueue(
      'bytes',
      {
        process: (e) =>
          new Promise<void>((resolve) => {
            seen.push(e.serverTS);
            release = resolve;
          }),
      },
      1000,
      () => {},
      35_000,
    );
    const taken = Array.from({ length: 10 }, (_, i) => q.offer(big(i)));
    assert.deepEqual(
      taken,
      [true, true, true, false, false, false, false, false, false, false],
      'three events of ~10 KB fit in 35 000 bytes',
    );
    assert.equal(q.offer(ev(10)), true, 'a small one still fits');
    assertBalanced(q.counters(), 'full');
    for (let i = 0; i < 10; i++) {
      await tick();
      release();
    }
    await q.barrier();
    assert.deepEqual(
      { ...q.counters() },
      { received: 11, queued: 0, written: 4, dropped: 7, failed: 0, capacity: 1000 },
    );
    assert.deepEqual(seen, [0, 1, 2, 10]);
    // Drained: room again, and an event larger than the whole bound is taken by an empty queue.
    const huge = { ...ev(11), eventParams: 'x'.repeat(50_000) };
    assert.equal(q.offer(huge), true);
    assert.equal(q.offer(big(12)), false, 'but nothing beside it');
    for (let i = 0; i < 5; i++) {
      await tick();
      release();
    }
    await q.barrier();
    assertBalanced(q.counters(), 'end');
  },
);

test('a full queue drops and counts, and accepts again once there is room', async () => {
  const q = new BoundedQueue('sync', { process: () => {} }, 3);
  assert.deepEqual(
    [1, 2, 3, 4].map((i) => q.offer(ev(i))),
    [true, true, true, false],
  );
  await q.barrier();
  assert.equal(q.offer(ev(5)), true);
  await q.barrier();
  assert.deepEqual({ ...q.counters() }, { received: 5, queued: 0, written: 4, dropped: 1, failed: 0, capacity: 3 });
});

test('a consumer that throws (or rejects) on one event counts it failed and goes on', async () => {
  const errors: unknown[] = [];
  const written: number[] = [];
  const q = new BoundedQueue(
    'flaky',
    {
      process: (e) => {
        if (e.serverTS % 3 === 0) throw new Error(`boom ${e.serverTS}`);
        if (e.serverTS % 3 === 1) return Promise.reject(new Error(`async boom ${e.serverTS}`));
        written.push(e.serverTS);
      },
    },
    100,
    (err) => errors.push(err),
  );
  for (let i = 0; i < 30; i++) q.offer(ev(i));
  await q.barrier();
  const c = q.counters();
  assertBalanced(c, 'end');
  assert.equal(c.failed, 20);
  assert.equal(c.written, 10);
  assert.equal(errors.length, 20);
  assert.deepEqual(written, [2, 5, 8, 11, 14, 17, 20, 23, 26, 29]);
});

test('offer never runs the consumer synchronously (the pixel never waits for storage)', async () => {
  let calls = 0;
  const q = new BoundedQueue(
    'x',
    {
      process: () => {
        calls++;
      },
    },
    10,
  );
  q.offer(ev(1));
  assert.equal(calls, 0);
  await q.barrier();
  assert.equal(calls, 1);
});

test('a long backlog grows past the ring and drains in order', async () => {
  const seen: number[] = [];
  const q = new BoundedQueue(
    'big',
    {
      process: (e) => {
        seen.push(e.serverTS);
      },
    },
    5000,
  );
  const barriers: Array<Promise<void>> = [];
  for (let i = 0; i < 5000; i++) {
    q.offer(ev(i));
    if (i % 100 === 0) barriers.push(q.barrier()); // barriers take ring slots beyond the capacity
  }
  await Promise.all(barriers);
  await q.barrier();
  assert.equal(seen.length, 5000);
  assert.ok(seen.every((v, i) => v === i));
});

test('the dispatcher offers to every processor; a full or broken one does not affect the others', async () => {
  const d = new Dispatcher(silentLogger(), 2);
  const addHandler = (name: string, consumer: Consumer): void => d.add({ name, queue: d.boundedQueue(name, consumer) });
  const good: number[] = [];
  let gate: () => void = () => {};
  addHandler('good', {
    process: (e) => {
      good.push(e.serverTS);
    },
  });
  addHandler('stuck', {
    process: () =>
      new Promise<void>((r) => {
        gate = r;
      }),
  });
  addHandler('broken', {
    process: () => {
      throw new Error('no');
    },
  });
  for (let i = 0; i < 5; i++) {
    d.track(ev(i));
    await tick();
  }
  const c = d.counters();
  for (const [name, counters] of Object.entries(c)) assertBalanced(counters, name);
  assert.equal(d.received, 5);
  assert.deepEqual(good, [0, 1, 2, 3, 4]);
  assert.equal(c.stuck.dropped, 3);
  assert.equal(c.broken.failed, 5);
  assert.deepEqual(
    d.lastEvents().map((e) => e.serverTS),
    [4, 3, 2, 1, 0],
    'newest first',
  );
  gate();
  await tick();
  gate();
  await d.drain();
  assert.equal(d.counters().stuck.written, 2);
});

test('lastEvents keeps the newest 100', () => {
  const d = new Dispatcher(silentLogger(), 1);
  for (let i = 0; i < 250; i++) d.track(ev(i));
  const last = d.lastEvents();
  assert.equal(last.length, 100);
  assert.equal(last[0].serverTS, 249);
  assert.equal(last[99].serverTS, 150);
});

test('QueueBound: count and bytes; an empty queue takes any one group', () => {
  const b = new QueueBound(3, 100);
  assert.ok(b.fits(10, 1000), 'empty: any group');
  b.take(2, 60);
  assert.ok(b.fits(1, 40));
  assert.ok(!b.fits(2, 10), 'count: 2 + 2 > 3');
  assert.ok(!b.fits(1, 41), 'bytes: 60 + 41 > 100');
  b.release(2, 60);
  assert.equal(b.count, 0);
  assert.ok(
    new QueueBound(3, 0).fits(1, 1e9) &&
      !(() => {
        const u = new QueueBound(3, 0);
        u.take(3, 0);
        return u.fits(1, 0);
      })(),
    'maxBytes 0: no byte bound, the count still holds',
  );
});

test('dispatcher.admit: a group is taken whole by every queue, or by none and counted refused', async () => {
  const d = new Dispatcher(silentLogger(), 5);
  let gate: () => void = () => {};
  let gated = true;
  const slow: number[] = [];
  const fast: number[] = [];
  d.add({
    name: 'slow',
    queue: d.boundedQueue('slow', {
      process: (e) => {
        slow.push(e.serverTS);
        return gated
          ? new Promise<void>((r) => {
              gate = r;
            })
          : undefined;
      },
    }),
  });
  d.add({
    name: 'fast',
    queue: d.boundedQueue('fast', {
      process: (e) => {
        fast.push(e.serverTS);
      },
    }),
  });
  assert.ok(d.admit([ev(0), ev(1), ev(2)]));
  await tick();
  assert.ok(!d.admit([ev(3), ev(4), ev(5)]), 'slow holds 3: 3 more pass its 5');
  assert.equal(d.refused, 3);
  assert.equal(d.received, 3, 'a refused group is not received by any processor');
  assert.ok(d.admit([ev(6), ev(7)]), 'exactly to the bound');
  const c = d.counters();
  assert.equal(c.slow.dropped + c.fast.dropped, 0, 'nothing admitted is dropped');
  for (const [name, counters] of Object.entries(c)) assertBalanced(counters, name);
  for (let i = 0; i < 10; i++) {
    gate();
    await tick();
  }
  await d.drain();
  assert.deepEqual(slow, [0, 1, 2, 6, 7]);
  assert.deepEqual(fast, [0, 1, 2, 6, 7]);
  gated = false;
  const big = Array.from({ length: 12 }, (_, i) => ev(100 + i));
  assert.ok(d.admit(big), 'empty queues take a message larger than the bound, whole');
  await d.drain();
  assert.equal(d.counters().fast.written, 17);
});
