import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { StallWatchdog, type Stall } from '../../src/queue/stall-watchdog.js';
import type { QueueCounters } from '../../src/queue/event-queue.js';
import type { StorageEngine } from '../../src/storage/engine.js';
import type { TrackedEvent } from '../../src/event/event.js';
import { removeDir, startTestServer } from '../helpers/server.js';
import { readAllRows } from '../helpers/files.js';

test(
  'StallWatchdog: stalled only with events queued and no progress ' + 'for the timeout; cleared when progress resumes',
  () => {
    let t = 0;
    let c: QueueCounters = { received: 0, queued: 0, written: 0, dropped: 0, failed: 0, capacity: 10 };
    const changes: Array<[Stall, boolean]> = [];
    const w = new StallWatchdog(
      [{ name: 'storage', queue: { counters: () => c } }],
      1000,
      () => t,
      (s, resumed) => changes.push([s, resumed]),
    );
    w.check();
    t = 5000;
    w.check();
    assert.equal(w.stallOf('storage'), undefined, 'idle (nothing queued) is not a stall');
    c = { ...c, received: 3, queued: 3 };
    w.check();
    t = 5999;
    w.check();
    assert.equal(w.stallOf('storage'), undefined, 'not before the timeout');
    t = 6000;
    w.check();
    assert.deepEqual(w.stallOf('storage'), { processor: 'storage', since: 5000, queued: 3, written: 0, failed: 0 });
    t = 9000;
    w.check();
    assert.equal(changes.length, 1, 'reported once');
    c = { ...c, queued: 2, failed: 1 };
    w.check();
    assert.equal(w.stallOf('storage'), undefined, 'a failed event is progress too');
    assert.equal(changes.length, 2);
    assert.equal(changes[1][1], true);
    assert.deepEqual(w.stalls(), []);
  },
);

test(
  'storageStallTimeout: an engine that blocks with events queued makes /ready 503, is ' +
    'logged once and shown by a metric; all clear when it moves again',
  async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const server = await startTestServer({ storageStallTimeout: 0.2 }, { logger, storageThread: false });
    const get = async (path: string): Promise<{ status: number; text: string }> => {
      const res = await fetch(server.url + path);
      return { status: res.status, text: await res.text() };
    };
    /** Waits (bounded) for /ready's status. */
    const readyBecomes = async (status: number): Promise<string> => {
      for (let i = 0; i < 500; i++) {
        const r = await get('/ready');
        if (r.status === status) return r.text;
        await sleep(20);
      }
      assert.fail(`/ready never answered ${status}`);
    };
    try {
      assert.equal((await get('/ready')).status, 200);
      const processor = server.collector.context.dispatcher.processors.find((p) => p.kind === 'storage');
      assert.ok(processor && processor.kind === 'storage');
      const engine = processor.engine as StorageEngine;
      const write = engine.write.bind(engine);
      let unblock = (): void => {};
      const blocked = new Promise<void>((r) => {
        unblock = r;
      });
      engine.write = async (event: TrackedEvent) => {
        await blocked;
        await write(event);
      };
      for (let i = 0; i < 3; i++) assert.equal((await get(`/public/p.gif?n=${i}`)).status, 200);

      const body = JSON.parse(await readyBecomes(503)) as Record<string, unknown>;
      assert.deepEqual(body.stalled, { storage: true });
      assert.deepEqual(
        body.storage,
        { storage: true },
        'the engine itself says ready: only the watchdog sees the stall',
      );
      assert.match((await get('/metrics')).text, /^wt1_storage_stalled\{processor="storage",engine="fs"\} 1$/m);
      await sleep(300); // more checks pass: still one line
      const stallLines = lines.filter((l) => l.includes('storage engine stalled'));
      assert.equal(stallLines.length, 1, lines.join('\n'));
      const logged = JSON.parse(stallLines[0]) as Record<string, unknown>;
      assert.equal(logged.engine, 'fs');
      assert.equal(logged.processor, 'storage');
      assert.equal(logged.queued, 3);
      assert.equal(logged.written, 0);

      unblock();
      await readyBecomes(200);
      assert.match((await get('/metrics')).text, /^wt1_storage_stalled\{processor="storage",engine="fs"\} 0$/m);
      assert.equal(lines.filter((l) => l.includes('progressing again')).length, 1);
    } finally {
      await server.stop();
    }
    assert.equal(readAllRows(server.root).length, 3);
    removeDir(server.root);
  },
);
