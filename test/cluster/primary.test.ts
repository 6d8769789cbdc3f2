import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { freePort, runWt1, spawnWt1 } from '../helpers/process.js';
import { tempDir, removeDir } from '../helpers/server.js';
import { publishedFiles, readAllRows, temporaryFiles, readLogFile } from '../helpers/files.js';
import { type Hit, hitCounts, logRecords, runPixelLoad, waitFor } from '../helpers/load.js';

function clusterEnv(root: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    WT1_STORAGE__PARAMS__ROOT_DIR: root,
    WT1_STORAGE__PARAMS__NEW_FILE_TRIGGER_INTERVAL: '3600',
    WT1_SHUTDOWN_TIMEOUT: '10',
    WT1_LOG_LEVEL: 'info',
    ...extra,
  };
}

const listening = (output: string): Record<string, unknown>[] =>
  logRecords(output).filter((r) => r.msg === 'worker listening');

test('--workers 2: both workers share the port and write files under distinct instance ids', async () => {
  const root = tempDir();
  const wt1 = await spawnWt1(['--workers', '2'], { env: clusterEnv(root, { WT1_INSTANCE_ID: 'web' }) });
  let exit: number | string;
  try {
    await waitFor(() => listening(wt1.output()).length === 2, 'two workers listening');
    const load = runPixelLoad(wt1.url, { concurrency: 4, maxHits: 300, newConnections: true });
    const hits = await load.done;
    assert.ok(
      hits.every((h) => h.status === 200),
      'every hit answered 200',
    );
  } finally {
    wt1.child.kill('SIGTERM');
    exit = await wt1.exited;
  }
  assert.equal(exit, 0, wt1.output());
  const files = publishedFiles(root).map((f) => path.basename(f));
  const instances = new Set(files.map((f) => /^\d\d-\d\d-(web-w\d)(-\d+)?\.log\.gz$/.exec(f)?.[1]));
  assert.deepEqual([...instances].sort(), ['web-w0', 'web-w1'], `files: ${files.join(', ')}`);
  const counts = hitCounts(readAllRows(root));
  assert.equal(counts.size, 300);
  assert.ok(
    [...counts.values()].every((n) => n === 1),
    'no hit written twice',
  );
  removeDir(root);
});

test('a worker killed with SIGKILL mid-load is replaced and its flushed events are recovered at once', async (t) => {
  const root = tempDir();
  const flushInterval = 0.1;
  const wt1 = await spawnWt1(['--workers', '2'], {
    env: clusterEnv(root, { WT1_FLUSH_INTERVAL: String(flushInterval) }),
  });
  let exit: number | string;
  let killedAt = 0;
  let victimPid = 0;
  let hits: Hit[];
  try {
    await waitFor(() => listening(wt1.output()).length === 2, 'two workers listening');
    const load = runPixelLoad(wt1.url, { concurrency: 4, maxHits: 4000, newConnections: true });
    // Let both workers write (and sync-flush) for a while, then kill worker 0 hard.
    await waitFor(() => load.hits.filter((h) => h.status === 200).length >= 400, '400 answered hits');
    await new Promise((r) => setTimeout(r, 500));
    victimPid = Number(listening(wt1.output()).find((r) => r.slot === 0)?.workerPid);
    assert.ok(victimPid > 0);
    process.kill(victimPid, 'SIGKILL');
    killedAt = Date.now();
    await waitFor(
      () => listening(wt1.output()).some((r) => r.slot === 0 && r.workerPid !== victimPid),
      'a replacement for worker 0',
    );
    await new Promise((r) => setTimeout(r, 500)); // load on the replacement too
    hits = await load.stop();
  } finally {
    wt1.child.kill('SIGTERM');
    exit = await wt1.exited;
  }
  assert.equal(exit, 0, wt1.output().slice(-3000));

  const records = logRecords(wt1.output());
  assert.ok(
    records.some(
      (r) =>
        r.msg === 'worker died: replacing it (its flushed events are recovered by the replacement)' &&
        r.workerPid === victimPid,
    ),
  );
  const recovered = records.filter(
    (r) => r.msg === 'recovered a file left by a crashed writer' && String(r.from).includes(`.${victimPid}.`),
  );
  assert.equal(recovered.length, 1, "the replacement recovered the victim's open file");
  assert.ok(Number(recovered[0].lines) > 0, 'with the lines it had flushed');
  assert.deepEqual(temporaryFiles(root), [], 'no temporary file left');

  // Every published file is whole: each line has the header's fields and the file ends with a newline.
  for (const file of publishedFiles(root)) readLogFile(file);
  const counts = hitCounts(readAllRows(root));
  assert.ok(
    [...counts.values()].every((n) => n === 1),
    'no hit written twice',
  );
  const sent = new Set(hits.map((h) => h.id));
  assert.ok(
    [...counts.keys()].every((id) => sent.has(id)),
    'no invented hit',
  );
  // Only hits the victim answered in its last flush interval (plus scheduling slack) may be lost.
  const window = flushInterval * 1000 + 1500;
  const mustBeThere = hits.filter(
    (h) => h.status === 200 && (h.answeredAt < killedAt - window || h.answeredAt > killedAt + 500),
  );
  const missing = mustBeThere.filter((h) => !counts.has(h.id));
  assert.deepEqual(
    missing.map((h) => h.id),
    [],
    'every hit answered outside the kill window is in the files',
  );
  const answered = hits.filter((h) => h.status === 200);
  assert.ok(answered.length - counts.size <= answered.length - mustBeThere.length);
  t.diagnostic(
    `answered ${answered.length}, in files ${counts.size}, recovered from the killed worker ` +
      `${String(recovered[0].lines)}`,
  );
  removeDir(root);
});

test('workers that cannot start (port taken) stop the primary with exit code 1 instead of a crash loop', async () => {
  const port = await freePort();
  const squatter = createServer().listen(port, '127.0.0.1');
  await once(squatter, 'listening');
  const root = tempDir();
  try {
    const { code, stdout, stderr } = await runWt1(
      ['serve', '--workers', '2', '--port', String(port), '--host', '127.0.0.1'],
      { env: clusterEnv(root), timeoutMs: 15_000 },
    );
    assert.equal(code, 1, stdout + stderr);
    assert.match(stderr, /EADDRINUSE.*the port is taken \[WT1_ERR_PORT_IN_USE\]/);
    assert.ok(logRecords(stdout).some((r) => r.msg === 'a worker failed to start: stopping'));
  } finally {
    squatter.close();
    removeDir(root);
  }
});
