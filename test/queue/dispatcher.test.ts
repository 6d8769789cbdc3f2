import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dispatcher } from '../../src/queue/dispatcher.js';
import type { EventQueue, QueueCounters } from '../../src/queue/event-queue.js';
import { PixelHit, itemBytes, type Trackable } from '../../src/event/pixel-hit.js';
import type { TrackedEvent } from '../../src/event/event.js';
import { silentLogger } from '../../src/log.js';

// The dispatcher's own rules, with queues that record what they are offered (the EventQueue
// contract; BoundedQueue and the storage thread have their own tests): pixel hits parsed once and
// only for the queues on this thread, the group measured for admission, drain over every queue.
// test/queue/bounded-queue.test.ts covers dropping, failures and admission with real queues.

/** A queue that records its offers and the groups it was asked about; `room` events fit. */
class RecordingQueue implements EventQueue {
  readonly capacity = 100;
  readonly offered: { item: Trackable; admitted: boolean }[] = [];
  readonly asked: { count: number; bytes: number }[] = [];
  barriers = 0;
  constructor(
    readonly takesHits: boolean,
    private room = 100,
  ) {}
  offer(item: Trackable, admitted = false): boolean {
    this.offered.push({ item, admitted });
    return true;
  }
  fits(count: number, bytes: number): boolean {
    this.asked.push({ count, bytes });
    return count <= this.room;
  }
  async barrier(): Promise<void> {
    this.barriers++;
  }
  counters(): QueueCounters {
    const n = this.offered.length;
    return { received: n, queued: n, written: 0, dropped: 0, failed: 0, capacity: this.capacity };
  }
}

/** A pixel hit that counts how often it is parsed. */
class CountedHit extends PixelHit {
  parses = 0;
  override event(): TrackedEvent {
    this.parses++;
    return super.event();
  }
}

const hit = (visitor: string, seq: number): CountedHit =>
  new CountedHit(
    [`__wt1ty=page&__wt1vic=${visitor}`],
    1_700_000_000_000 + seq,
    '192.0.2.1',
    undefined,
    'UA',
    null,
    seq,
  );

function dispatcherWith(...queues: RecordingQueue[]): Dispatcher {
  const d = new Dispatcher(silentLogger(), 100);
  for (const [i, queue] of queues.entries()) d.add({ name: `q${i}`, queue });
  return d;
}

test(
  'dispatcher: a pixel hit goes unparsed to the storage thread, ' + 'parsed once for all the queues on this thread',
  () => {
    const thread = new RecordingQueue(true);
    const handlerA = new RecordingQueue(false);
    const handlerB = new RecordingQueue(false);
    const d = dispatcherWith(thread, handlerA, handlerB);
    const h = hit('v1', 1);
    d.track(h);
    assert.equal(thread.offered[0].item, h, 'the hit itself');
    assert.equal(h.parses, 1, 'parsed once');
    const event = handlerA.offered[0].item as TrackedEvent;
    assert.equal(handlerB.offered[0].item, event, 'the same event object for every queue on this thread');
    assert.equal(event.visitorId, 'v1');
    assert.equal(event.type, 'page');
    assert.equal(d.received, 1);
  },
);

test('dispatcher: with only the storage thread, the pixel path parses nothing; lastEvents parses on demand', () => {
  const thread = new RecordingQueue(true);
  const d = dispatcherWith(thread);
  const hits = [hit('a', 10), hit('b', 11), hit('c', 12)];
  for (const h of hits) d.track(h);
  assert.deepEqual(
    hits.map((h) => h.parses),
    [0, 0, 0],
  );
  assert.deepEqual(
    d.lastEvents().map((e) => e.visitorId),
    ['c', 'b', 'a'],
    'newest first',
  );
  assert.deepEqual(d.counters(), { q0: thread.counters() });
});

test('dispatcher.track: offers are not marked admitted; admit marks every offer of its group', () => {
  const queue = new RecordingQueue(false);
  const d = dispatcherWith(queue);
  d.track(hit('t', 20));
  assert.ok(d.admit([hit('u', 21), hit('w', 22)]));
  assert.deepEqual(
    queue.offered.map((o) => o.admitted),
    [false, true, true],
  );
});

test(
  'dispatcher.admit: asks every queue about the whole group (count ' + 'and bytes), refuses it whole if one says no',
  () => {
    const roomy = new RecordingQueue(true);
    const tight = new RecordingQueue(false, 2);
    const d = dispatcherWith(roomy, tight);
    const group = [hit('x', 30), hit('y', 31), hit('z', 32)];
    const bytes = group.reduce((n, h) => n + itemBytes(h), 0);
    assert.equal(d.admit(group), false);
    assert.deepEqual(roomy.asked, [{ count: 3, bytes }]);
    assert.deepEqual(tight.asked, [{ count: 3, bytes }]);
    assert.equal(roomy.offered.length + tight.offered.length, 0, 'nothing offered to anyone');
    assert.equal(d.refused, 3);
    assert.equal(d.received, 0);
    assert.deepEqual(d.lastEvents(), [], 'a refused group is not among the last events');

    assert.equal(d.admit(group.slice(0, 2)), true);
    assert.equal(roomy.offered.length, 2);
    assert.equal(tight.offered.length, 2);
    assert.equal(d.received, 2);

    assert.equal(d.admit([]), true, 'an empty group passes');
    assert.equal(roomy.asked.length, 2, 'without asking');
  },
);

test('dispatcher.drain: waits on every queue', async () => {
  const queues = [new RecordingQueue(true), new RecordingQueue(false), new RecordingQueue(false)];
  const d = dispatcherWith(...queues);
  await d.drain();
  assert.deepEqual(
    queues.map((q) => q.barriers),
    [1, 1, 1],
  );
});
