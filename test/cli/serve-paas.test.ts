import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnWt1, type Wt1Process } from '../helpers/process.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { readAllRows } from '../helpers/files.js';

/** Only what a PaaS gives: environment variables (PORT and HOST from spawnWt1), no config file. */
function paasEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { WT1_STORAGE__PARAMS__ROOT_DIR: dataDir, ...extra };
}

function jsonLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function hits(wt1: Wt1Process, count: number, concurrency: number, first = 0): Promise<void> {
  let next = first;
  const worker = async (): Promise<void> => {
    while (next < first + count) {
      const i = next++;
      const res = await fetch(`${wt1.url}/public/p.gif?__wt1ty=page&__wt1vic=v${i}&i=${i}`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** One JSON API message of `count` events. */
async function apiMessage(wt1: Wt1Process, count: number, first: number): Promise<void> {
  const events = Array.from({ length: count }, (_, i) => ({ type: 'event', params: `i=${first + i}` }));
  const res = await fetch(`${wt1.url}/public/events`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ visitorId: 'v', events }),
  });
  assert.equal(res.status, 200, await res.text());
}

async function live(
  wt1: Wt1Process,
): Promise<{ receivedEvents: number; processors: { storage: { queued: number; written: number; capacity: number } } }> {
  const res = await fetch(`${wt1.url}/internal/live`);
  assert.equal(res.status, 200);
  return (await res.json()) as {
    receivedEvents: number;
    processors: { storage: { queued: number; written: number; capacity: number } };
  };
}

test(
  'wt1 runs from environment variables only, logs JSON at info, ' + 'stays quiet on the pixel, and drains on SIGTERM',
  async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    const wt1 = await spawnWt1([], {
      cwd: dir,
      portFromEnv: true,
      env: paasEnv(data, { WT1_MAX_QUEUE_SIZE: '1234', WT1_SHUTDOWN_TIMEOUT: '20' }),
    });
    try {
      assert.equal((await live(wt1)).processors.storage.capacity, 1234, 'WT1_MAX_QUEUE_SIZE is honoured');

      const started = jsonLines(wt1.output());
      assert.equal(started.length, 1, `one line at start:\n${wt1.output()}`);
      // The start line says where to send hits and where the data goes (issue 18).
      assert.equal(
        started[0].msg,
        `wt1 listening on http://127.0.0.1:${wt1.port}: send hits to /public/p.gif or /public/events; data: fs files ` +
          `under ${data}; single process, storage on its own thread`,
      );
      assert.equal(started[0].pixel, `http://127.0.0.1:${wt1.port}/public/p.gif`);
      assert.equal(started[0].data, `files under ${data}`);
      assert.equal(started[0].engine, 'fs');
      assert.equal(started[0].level, 30);
      assert.equal(started[0].severity, 'INFO');
      assert.equal(started[0].port, wt1.port, 'PORT is honoured');
      assert.equal(started[0].host, '127.0.0.1', 'HOST is honoured');
      assert.match(String(started[0].time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

      await hits(wt1, 40, 8);
      while ((await live(wt1)).processors.storage.written < 40) await new Promise((r) => setTimeout(r, 20));
      assert.equal(jsonLines(wt1.output()).length, 1, 'the pixel and /internal/live log nothing');

      const signalled = Date.now();
      wt1.child.kill('SIGTERM');
      assert.equal(await wt1.exited, 0);
      assert.ok(Date.now() - signalled < 20_000);
      const messages = jsonLines(wt1.output()).map((l) => String(l.msg).replace(/^(wt1 listening) on .*/, '$1'));
      assert.deepEqual(messages, ['wt1 listening', 'shutting down: draining queues', 'wt1 stopped']);
      assert.equal(readAllRows(data).length, 40, 'every queued event was written and published');
    } finally {
      wt1.child.kill('SIGKILL');
      removeDir(dir);
    }
  },
);

test('on SIGTERM with a large queue, wt1 exits within shutdownTimeout and logs what it lost', async () => {
  const dir = tempDir();
  const data = path.join(dir, 'data');
  const shutdownTimeout = 0.1; // the smallest allowed: 3000 one-file events cannot drain that fast
  const wt1 = await spawnWt1([], {
    cwd: dir,
    portFromEnv: true,
    env: paasEnv(data, {
      WT1_SHUTDOWN_TIMEOUT: String(shutdownTimeout),
      WT1_MAX_QUEUE_SIZE: '1000000',
      // One file per event: the storage drains slowly, so a burst leaves a backlog.
      WT1_STORAGE__PARAMS__NEW_FILE_TRIGGER_SIZE: '1',
    }),
  });
  try {
    // JSON API messages of 1000 events until a backlog of 3000 events waits in the queue (bounded:
    // at most 20 messages). One message enqueues its 1000 events at once, faster than pixels one
    // request each, which the storage here (one file per event, a few thousand a second) can nearly
    // keep up with; the backlog takes longer than the deadline to drain.
    let sent = 0;
    let before = await live(wt1);
    while (before.processors.storage.queued < 3000 && sent < 20_000) {
      await apiMessage(wt1, 1000, sent);
      sent += 1000;
      before = await live(wt1);
    }
    assert.equal(before.receivedEvents, sent);
    assert.ok(
      before.processors.storage.queued >= 3000,
      `the test needs a backlog to be meaningful; queued: ${before.processors.storage.queued}`,
    );

    const signalled = Date.now();
    wt1.child.kill('SIGTERM');
    const code = await wt1.exited;
    const elapsed = Date.now() - signalled;
    assert.equal(code, 1);
    assert.ok(
      elapsed < shutdownTimeout * 1000 + 2500,
      `exited ${elapsed} ms after SIGTERM (deadline ${shutdownTimeout} s)`,
    );
    assert.ok(
      elapsed >= shutdownTimeout * 1000 - 50,
      `exited before the deadline (${elapsed} ms) while events were queued`,
    );

    const deadline = jsonLines(wt1.output()).find(
      (l) => l.err && (l.err as { code?: string }).code === 'WT1_ERR_SHUTDOWN_DEADLINE',
    );
    assert.ok(deadline, `no deadline line in:\n${wt1.output().slice(-2000)}`);
    const lost = deadline.lostEvents as number;
    assert.ok(lost > 0 && lost <= before.processors.storage.queued, `lostEvents ${lost}`);
    assert.match(String(deadline.msg), new RegExp(`^shutdown deadline passed: ${lost} queued events lost`));
    assert.deepEqual(deadline.lostByProcessor, { storage: lost });
    const counters = (
      deadline.counters as {
        storage: { received: number; written: number; queued: number; dropped: number; failed: number };
      }
    ).storage;
    assert.equal(counters.received, sent);
    assert.equal(
      counters.written + counters.queued + counters.dropped + counters.failed,
      sent,
      'every event accounted for',
    );
  } finally {
    wt1.child.kill('SIGKILL');
    removeDir(dir);
  }
});

test('logFormat=pretty writes human-readable lines', async () => {
  const dir = tempDir();
  const wt1 = await spawnWt1([], {
    cwd: dir,
    portFromEnv: true,
    env: paasEnv(path.join(dir, 'data'), { WT1_LOG_FORMAT: 'pretty' }),
  });
  try {
    wt1.child.kill('SIGTERM');
    assert.equal(await wt1.exited, 0);
    const out = wt1.output();
    assert.match(out, /INFO.*wt1 listening/);
    assert.match(out, /wt1 stopped/);
    assert.throws(() => JSON.parse(out.split('\n')[0]), 'not JSON');
  } finally {
    wt1.child.kill('SIGKILL');
    removeDir(dir);
  }
});
