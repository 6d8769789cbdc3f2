import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startTestServer, removeDir, tempDir } from '../helpers/server.js';
import { readiness } from '../../src/server/readiness.js';
import { collectStatus, type CollectorStatus, type StatusSources } from '../../src/server/status.js';
import type { StorageEngine } from '../../src/storage/engine.js';

test('/ready answers 200 with a small JSON body while the storage accepts events; /isAlive is unchanged', async () => {
  const server = await startTestServer();
  try {
    const res = await fetch(`${server.url}/ready`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), {
      ready: true,
      shuttingDown: false,
      maintenance: false,
      storage: { storage: true },
      stalled: { storage: false },
    });
    const alive = await fetch(`${server.url}/isAlive`);
    assert.equal(alive.status, 200);
    assert.equal(await alive.text(), 'Server is alive\r\n');
  } finally {
    await server.stop();
    removeDir(server.root);
  }
});

test('/ready answers 503 while a storage engine says it cannot accept events, and 200 again after', async () => {
  const server = await startTestServer();
  try {
    // The fs engine is always ready; stand in for an engine whose spool is full.
    const processor = server.collector.context.dispatcher.processors.find((p) => p.kind === 'storage');
    assert.ok(processor && processor.kind === 'storage');
    const engine: Omit<StorageEngine, 'write'> = processor.engine;
    let spoolFull = true;
    engine.ready = () => !spoolFull;

    const res = await fetch(`${server.url}/ready`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), {
      ready: false,
      shuttingDown: false,
      maintenance: false,
      storage: { storage: false },
      stalled: { storage: false },
    });
    const alive = await fetch(`${server.url}/isAlive`);
    assert.equal(alive.status, 200, '/isAlive only says the process answers');
    await alive.text();

    spoolFull = false;
    const again = await fetch(`${server.url}/ready`);
    assert.equal(again.status, 200);
    await again.text();
  } finally {
    await server.stop();
    removeDir(server.root);
  }
});

test('/ready answers 503 while the maintenance file exists, like /isAlive', async () => {
  const dir = tempDir();
  const maintenanceFile = path.join(dir, 'maintenance');
  const server = await startTestServer({ maintenanceFile });
  try {
    writeFileSync(maintenanceFile, '');
    const res = await fetch(`${server.url}/ready`);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { maintenance: boolean }).maintenance, true);
  } finally {
    await server.stop();
    removeDir(server.root);
    removeDir(dir);
  }
});

test('readiness: not ready once the shutdown began, nor when an engine throws from ready()', () => {
  const engine = (ready: () => boolean): Record<string, unknown> => ({
    kind: 'storage',
    name: 'storage',
    engine: { ready },
  });
  const queue = { counters: () => ({ received: 0, queued: 0, written: 0, dropped: 0, failed: 0, capacity: 1 }) };
  const ctx = (processors: Array<Record<string, unknown>>, shuttingDown: boolean): CollectorStatus =>
    collectStatus({
      dispatcher: { processors: processors.map((p) => ({ ...p, queue })), received: 0, refused: 0, unconfirmed: 0 },
      isShuttingDown: () => shuttingDown,
      stalls: { stallOf: () => undefined },
      instanceId: 'i',
      startedAt: 0,
      now: () => 0,
    } as unknown as StatusSources);

  assert.deepEqual(readiness(ctx([engine(() => true)], false)), {
    ready: true,
    shuttingDown: false,
    storage: { storage: true },
    stalled: { storage: false },
  });
  assert.deepEqual(readiness(ctx([engine(() => true)], true)), {
    ready: false,
    shuttingDown: true,
    storage: { storage: true },
    stalled: { storage: false },
  });
  assert.equal(
    readiness(
      ctx(
        [
          engine(() => {
            throw new Error('broker gone');
          }),
        ],
        false,
      ),
    ).ready,
    false,
  );
  assert.equal(
    readiness(ctx([{ kind: 'storage', name: 'storage', engine: {} }], false)).ready,
    true,
    'an engine without ready() is ready',
  );
  assert.equal(
    readiness(ctx([{ kind: 'handler', name: 'h', handler: {} }], false)).ready,
    true,
    'handlers do not decide readiness',
  );
});

test('a stopping collector reports not ready', async () => {
  const server = await startTestServer();
  const stopped = server.stop();
  assert.equal(server.collector.context.isShuttingDown(), true);
  assert.equal(readiness(server.collector.status()).ready, false);
  await stopped;
  removeDir(server.root);
});
