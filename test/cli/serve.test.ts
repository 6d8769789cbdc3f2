import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'node:http';
import { request } from 'node:http';
import { spawnWt1 } from '../helpers/process.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { publishedFiles, readAllRows, temporaryFiles } from '../helpers/files.js';

/** One pixel hit over a keep-alive agent; resolves with the status (0 when the connection failed). */
function hit(port: number, agent: Agent, id: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, agent, path: `/public/p.gif?__wt1vic=${id}&__wt1ty=page&k=v` },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end();
  });
}

function writeConfig(dir: string, text: string): string {
  const file = path.join(dir, 'config.properties');
  writeFileSync(file, text);
  return file;
}

test('SIGTERM with a backlog in the queue: every answered pixel is written, exit code 0', async () => {
  const dir = tempDir();
  const root = path.join(dir, 'data');
  // One file per event makes the storage much slower than the HTTP side, so a backlog builds up.
  const config = writeConfig(
    dir,
    `storage.class=com.dataiku.wt1.storage.FSStorageProcessor\nstorage.params.rootDir=${root}\n` +
      `storage.params.newFileTriggerSize=1\nmaxQueueSize=1000000\nshutdownTimeout=60\n`,
  );
  const wt1 = await spawnWt1(['--config', config], { cwd: dir });
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const answered = new Set<string>();
  let sent = 0;
  let stop = false;
  try {
    const worker = async (): Promise<void> => {
      while (!stop) {
        const id = `n${sent++}`;
        const status = await hit(wt1.port, agent, id);
        if (status === 200) answered.add(id);
        else if (status === 0) return; // the server stopped accepting
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    while (answered.size < 1500) await sleep(10);
    const live = (await (await fetch(`${wt1.url}/internal/live`)).json()) as {
      processors: { storage: { queued: number } };
    };
    wt1.child.kill('SIGTERM');
    const giveUp = new AbortController();
    await Promise.race([Promise.all(workers), sleep(20_000, undefined, { signal: giveUp.signal }).catch(() => {})]);
    giveUp.abort();
    stop = true;
    const code = await wt1.exited;
    assert.equal(code, 0, wt1.output());
    assert.ok(
      live.processors.storage.queued > 0,
      'the queue held events when SIGTERM came (else this test proves nothing)',
    );
  } finally {
    stop = true;
    agent.destroy();
    wt1.child.kill('SIGKILL');
  }
  const written = readAllRows(root).map((r) => r.visitor_id!);
  const writtenSet = new Set(written);
  assert.equal(written.length, writtenSet.size, 'no event written twice');
  const lost = [...answered].filter((id) => !writtenSet.has(id));
  assert.deepEqual(lost.slice(0, 10), [], `${lost.length} of ${answered.size} answered pixels were not written`);
  assert.deepEqual(temporaryFiles(root), []);
  assert.match(wt1.output(), /"msg":"wt1 stopped"/);
  removeDir(dir);
});

test('kill -9, then restart: the open file is recovered, every line whole', async () => {
  const dir = tempDir();
  const root = path.join(dir, 'data');
  const config = writeConfig(dir, `storage.params.rootDir=${root}\nflushInterval=0.05\n`);
  const first = await spawnWt1(['--config', config], { cwd: dir });
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    for (let i = 0; i < 50; i++) assert.equal(await hit(first.port, agent, `k${i}`), 200);
    await sleep(400); // several flush intervals: everything answered is readable from the open file
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
  } finally {
    agent.destroy();
    first.child.kill('SIGKILL');
  }
  assert.equal(temporaryFiles(root).length, 1, 'the crashed writer left its _ file');
  assert.deepEqual(publishedFiles(root), []);
  const second = await spawnWt1(['--config', config], { cwd: dir });
  try {
    assert.equal(temporaryFiles(root).length, 0, 'recovered at start');
    assert.equal(publishedFiles(root).length, 1);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
  } finally {
    second.child.kill('SIGKILL');
  }
  assert.match(second.output(), /recovered a file left by a crashed writer/);
  const rows = readAllRows(root); // throws on a line with the wrong field count
  assert.deepEqual(
    rows.map((r) => r.visitor_id),
    Array.from({ length: 50 }, (_, i) => `k${i}`),
  );
  removeDir(dir);
});

/** Starts wt1 with one file per event (a slow storage) and queues `count` events; returns it. */
async function withBacklog(dir: string, extra: string, count: number): Promise<Awaited<ReturnType<typeof spawnWt1>>> {
  const root = path.join(dir, 'data');
  const config = writeConfig(
    dir,
    `storage.params.rootDir=${root}\nstorage.params.newFileTriggerSize=1\nmaxQueueSize=1000000\n${extra}`,
  );
  const wt1 = await spawnWt1(['--config', config], { cwd: dir });
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < count) await hit(wt1.port, agent, `b${next++}`);
      }),
    );
  } finally {
    agent.destroy();
  }
  return wt1;
}

test('a second signal during the drain exits at once (code 130)', async () => {
  const dir = tempDir();
  const wt1 = await withBacklog(dir, 'shutdownTimeout=60\n', 3000);
  try {
    const live = (await (await fetch(`${wt1.url}/internal/live`)).json()) as {
      processors: { storage: { queued: number } };
    };
    assert.ok(live.processors.storage.queued > 100, `a backlog to drain: ${live.processors.storage.queued}`);
    wt1.child.kill('SIGTERM');
    await sleep(100);
    wt1.child.kill('SIGINT');
    assert.equal(await wt1.exited, 130, wt1.output());
    assert.match(wt1.output(), /second signal: exiting at once/);
  } finally {
    wt1.child.kill('SIGKILL');
    removeDir(dir);
  }
});

test('past shutdownTimeout the process exits with code 1 and says what was still queued', async () => {
  const dir = tempDir();
  const wt1 = await withBacklog(dir, 'shutdownTimeout=0.2\n', 3000);
  try {
    wt1.child.kill('SIGTERM');
    assert.equal(await wt1.exited, 1, wt1.output());
    assert.match(wt1.output(), /WT1_ERR_SHUTDOWN_DEADLINE/);
    assert.match(wt1.output(), /shutdown deadline passed: [1-9]\d* queued events lost/);
    assert.match(wt1.output(), /"lostEvents":[1-9]\d*/);
  } finally {
    wt1.child.kill('SIGKILL');
    removeDir(dir);
  }
});
