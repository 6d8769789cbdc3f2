import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startS3Server } from '../helpers/s3-server.js';
import { readObjects, s3Keys } from '../helpers/s3-engine.js';
import { removeDir, startTestServer, tempDir } from '../helpers/server.js';
import { freePort, spawnWt1, stopWt1, type Wt1Process } from '../helpers/process.js';
import { load } from '../helpers/durable-load.js';
import { waitFor } from '../helpers/wait.js';
import type { S3TestServer } from '../helpers/s3-server.js';

// ackMode=durable with the s3 engine: answered once the event is in a synced local file (the open
// one or one in the outbox), which the next start uploads; uploads never copy an object.

type Storage = { failed: number; stats: Record<string, number> };

async function live(url: string): Promise<Storage> {
  return ((await (await fetch(`${url}/internal/live`)).json()) as { processors: { storage: Storage } }).processors
    .storage;
}

/** Every acknowledged event is in the bucket, and no event is there twice. */
async function checkUploaded(server: S3TestServer, acked: Set<string>): Promise<void> {
  // The event params column is quoted: `"id=g0"`.
  const ids = (await readObjects(server)).flatMap((o) =>
    o.lines.map((l) => /[\t&"]id=([gpa]\d+[xy]?)/.exec(l)?.[1] ?? `? ${l}`),
  );
  const seen = new Set<string>();
  const twice = ids.filter((id) => seen.has(id) || !seen.add(id));
  assert.deepEqual(twice, [], 'no event twice in the bucket');
  const missing = [...acked].filter((id) => !seen.has(id));
  assert.deepEqual(missing, [], `every acknowledged event is uploaded (${acked.size} acknowledged, ${ids.length})`);
}

test('s3 durable: the server stopped then restarted under load: every event answered 200 uploaded once', async () => {
  const server = await startS3Server();
  const spool = tempDir('wt1-spool-');
  const wt1 = await startTestServer(
    s3Keys(server, spool, { ackMode: 'durable', 'storage.params.newFileTriggerSize': '20000' }),
  );
  const acked = new Set<string>();
  const stop = { now: false };
  try {
    const sending = load(wt1.url, acked, stop, 8);
    await waitFor('events acknowledged before the outage', () => acked.size >= 300, 60_000);
    await server.pause();
    const atPause = acked.size;
    await waitFor('events acknowledged during the outage', () => acked.size >= atPause + 400, 60_000);
    await waitFor('files waiting in the outbox', async () => (await live(wt1.url)).stats.spoolFiles > 0, 60_000);
    await server.restart();
    const atRestart = acked.size;
    await waitFor('events acknowledged after the restart', () => acked.size >= atRestart + 300, 60_000);
    stop.now = true;
    await sending;
    assert.equal((await live(wt1.url)).failed, 0);
    await wt1.stop(); // the open file is closed and uploaded
    await checkUploaded(server, acked);
  } finally {
    stop.now = true;
    await wt1.stop();
    await server.stop();
    removeDir(spool);
  }
});

test('s3 durable: after kill -9 of wt1 serve, the next start uploads every event answered 200, once', async () => {
  const server = await startS3Server();
  const dir = tempDir();
  const config = path.join(dir, 'wt1.json');
  writeFileSync(
    config,
    JSON.stringify(
      s3Keys(server, path.join(dir, 'spool'), {
        ackMode: 'durable',
        logLevel: 'warn',
        instanceId: 'crash',
        'storage.params.newFileTriggerSize': '20000',
      }),
    ),
  );
  const port = await freePort();
  const acked = new Set<string>();
  const stop = { now: false };
  const started: Wt1Process[] = [];
  try {
    const first = await spawnWt1(['--config', config], { port });
    started.push(first);
    const sending = load(first.url, acked, stop, 16);
    await waitFor('events acknowledged', () => acked.size >= 600, 60_000);
    // The server away for the last part: closed files wait in the outbox when wt1 dies.
    await server.pause();
    const atPause = acked.size;
    await waitFor('events acknowledged with the server away', () => acked.size >= atPause + 600, 60_000);
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    stop.now = true;
    await sending;
    await server.restart();
    const second = await spawnWt1(['--config', config], { port });
    started.push(second);
    await waitFor('the outbox to empty', async () => (await live(second.url)).stats.spoolFiles === 0, 60_000);
    const stats = (await live(second.url)).stats;
    assert.ok(stats.adoptedFiles + stats.recoveredFiles > 0, 'files left by the crash were taken over');
    assert.equal(await stopWt1(second), 0, second.output());
    await checkUploaded(server, acked);
  } finally {
    stop.now = true;
    for (const p of started) p.child.kill('SIGKILL');
    await server.stop();
    removeDir(dir);
  }
});
