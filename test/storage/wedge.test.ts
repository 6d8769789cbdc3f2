import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { spawnWt1, stopWt1, type Wt1Process } from '../helpers/process.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { readAllRows } from '../helpers/files.js';

/**
 * Issue 15 §1, end to end on a real `wt1 serve` with the default storage settings: after the
 * audit's payloads (which used to stop storage for good: a write waited for gzip's 'drain' while
 * the rotation it started ended the stream), the probe is written, POST /internal/flush answers
 * within 5 s, and SIGTERM exits 0 with every answered hit in the files. On both storage modes.
 */
const FLUSH_ANSWER_MS = 5_000;

async function start(storageThread: boolean): Promise<{ wt1: Wt1Process; dir: string; root: string }> {
  const dir = tempDir();
  const root = path.join(dir, 'data');
  const config = path.join(dir, 'config.properties');
  writeFileSync(
    config,
    `storage.class=com.dataiku.wt1.storage.FSStorageProcessor\nstorage.params.rootDir=${root}\n` +
      `storageThread=${storageThread}\n`,
  );
  return { wt1: await spawnWt1(['--config', config], { cwd: dir }), dir, root };
}

/** POST /internal/flush must answer (200) within 5 s; a wedged engine never answers. */
async function flushAnswers(wt1: Wt1Process): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`${wt1.url}/internal/flush`, { method: 'POST', signal: AbortSignal.timeout(FLUSH_ANSWER_MS) });
  } catch (error) {
    throw new Error(
      `POST /internal/flush did not answer within ${FLUSH_ANSWER_MS / 1000} s (storage wedged): ` +
        `${(error as Error).message}`,
    );
  }
  assert.equal(res.status, 200, await res.text());
}

interface StorageCounts {
  written: number;
  dropped: number;
  failed: number;
  queued: number;
}

async function storageCounts(wt1: Wt1Process): Promise<StorageCounts> {
  const live = (await (await fetch(`${wt1.url}/internal/live`)).json()) as { processors: { storage: StorageCounts } };
  return live.processors.storage;
}

/** Waits until the storage queue is empty: a wedged engine never gets there (its `written` stops). */
async function queueEmpties(wt1: Wt1Process): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (let counts = await storageCounts(wt1); counts.queued > 0; counts = await storageCounts(wt1)) {
    if (Date.now() > deadline) throw new Error(`storage wedged: ${JSON.stringify(counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function probe(wt1: Wt1Process): Promise<void> {
  await queueEmpties(wt1);
  const res = await fetch(`${wt1.url}/public/p.gif?__wt1ty=probe&__wt1vic=probe`);
  assert.equal(res.status, 200);
  await res.arrayBuffer();
}

for (const storageThread of [true, false]) {
  test(
    `storage wedge (issue 15 §1), storageThread=${storageThread}: two concurrent 65 000-byte ` +
      `\\xff pixel bodies, then a probe; flush answers, SIGTERM writes everything`,
    async () => {
      const { wt1, dir, root } = await start(storageThread);
      try {
        // Each \xff is decoded as U+FFFD and written `%EF%BF%BD`: a 585 K-character line per hit.
        const body = Buffer.concat([Buffer.from('x='), Buffer.alloc(65_000, 0xff)]);
        const answers = await Promise.all(
          [1, 2].map(async (n) => {
            const res = await fetch(`${wt1.url}/public/p.gif?__wt1vic=big${n}`, {
              method: 'POST',
              headers: { 'Content-Type': 'text/plain' },
              body,
            });
            await res.arrayBuffer();
            return res.status;
          }),
        );
        assert.deepEqual(answers, [200, 200]);
        await probe(wt1);
        await flushAnswers(wt1);
        assert.equal(await stopWt1(wt1), 0, wt1.output());
        assert.doesNotMatch(wt1.output(), /deadline exceeded/i);
        const rows = readAllRows(root);
        assert.deepEqual(rows.map((r) => r.visitor_id).sort(), ['big1', 'big2', 'probe']);
        for (const row of rows.filter((r) => r.visitor_id !== 'probe')) {
          assert.equal(row.event_params, 'x=' + '%EF%BF%BD'.repeat(65_000));
        }
      } finally {
        wt1.child.kill('SIGKILL');
        removeDir(dir);
      }
    },
  );

  test(
    `storage wedge (issue 15 §1), storageThread=${storageThread}: one ~800-byte gzip body to /public/events ` +
      `(100 events sharing six 65 536-character fields); flush answers, SIGTERM writes everything`,
    async () => {
      const { wt1, dir, root } = await start(storageThread);
      try {
        const long = (c: string): string => c.repeat(65_536);
        const message = {
          visitorId: long('v'),
          sessionId: long('s'),
          vparams: long('a'),
          sparams: long('b'),
          ua: long('u'),
          clientLang: long('l'),
          events: Array.from({ length: 100 }, (_, i) => ({ type: 'event', params: `n=${i}` })),
        };
        const gz = gzipSync(JSON.stringify(message), { level: 9 });
        assert.ok(gz.length < 1024, `the body is small as sent (${gz.length} bytes)`);
        const res = await fetch(`${wt1.url}/public/events`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/gzip' },
          body: gz,
        });
        assert.equal(res.status, 200, await res.text());
        await probe(wt1);
        await flushAnswers(wt1);
        // 39 MB of lines: the queue may refuse (503) or drop and count what exceeds maxQueueBytes.
        await queueEmpties(wt1);
        const counts = await storageCounts(wt1);
        assert.equal(counts.failed, 0);
        assert.equal(counts.written + counts.dropped, 101, 'every event written or counted as dropped');
        assert.equal(await stopWt1(wt1), 0, wt1.output());
        assert.doesNotMatch(wt1.output(), /deadline exceeded/i);
        const rows = readAllRows(root);
        assert.equal(rows.length, counts.written, 'every event counted as written is in the files');
        const events = rows.filter((r) => r.type === 'event');
        assert.ok(events.length > 1, `several huge events written (${events.length})`);
        assert.ok(
          events.every(
            (r) =>
              r['user-agent'] === message.ua &&
              r.visitor_params === message.vparams &&
              r.visitor_id === message.visitorId,
          ),
        );
        assert.equal(rows.filter((r) => r.visitor_id === 'probe').length, 1, 'the probe after them is written');
      } finally {
        wt1.child.kill('SIGKILL');
        removeDir(dir);
      }
    },
  );
}
