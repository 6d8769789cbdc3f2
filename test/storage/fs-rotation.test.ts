import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, constants as zc } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, removeDir } from '../helpers/server.js';
import { publishedFiles, readAllRows, readLogFile, temporaryFiles } from '../helpers/files.js';
import { pixelHit } from '../helpers/pixel-hit.js';
import { waitFor } from '../helpers/wait.js';

// The fs engine through a collector: when a file is closed and published (size, time, the idle
// timer), and how far the open file can be read (flushInterval).

test('rotation by size: a new file once the uncompressed size reaches newFileTriggerSize', async () => {
  const server = await startTestServer({ 'storage.params.newFileTriggerSize': 2000 });
  try {
    for (let i = 0; i < 40; i++) await pixelHit(server.url, `__wt1vic=v${i}&pad=${'p'.repeat(100)}`);
  } finally {
    await server.stop();
  }
  const files = publishedFiles(server.root);
  assert.ok(files.length >= 4, `${files.length} files`);
  const lineBytes = Buffer.byteLength(readLogFile(files[0]).lines[0]) + 1;
  for (const f of files) {
    const size = gunzipSync(readFileSync(f)).length;
    assert.ok(size < 2000 + lineBytes, `${f}: ${size} bytes`);
    if (f !== files.at(-1)) assert.ok(size >= 2000, `${f} rotated early: ${size} bytes`);
  }
  assert.deepEqual(
    readAllRows(server.root).map((r) => r.visitor_id),
    Array.from({ length: 40 }, (_, i) => `v${i}`),
  );
  assert.deepEqual(temporaryFiles(server.root), []);
  removeDir(server.root);
});

test('rotation by time: on the next event, and by the timer while idle; names from the (UTC) clock', async () => {
  let clock = Date.UTC(2030, 0, 2, 3, 4, 5, 0);
  const server = await startTestServer(
    { 'storage.params.newFileTriggerInterval': 60, flushInterval: 0.02 },
    { now: () => clock },
  );
  try {
    // Each hit is drained before the clock moves: the storage sees the time the test says.
    const drain = (): Promise<void> => server.collector.context.dispatcher.drain();
    await pixelHit(server.url, '__wt1vic=first');
    await drain();
    clock += 30_000;
    await pixelHit(server.url, '__wt1vic=second');
    await drain();
    assert.deepEqual(publishedFiles(server.root), []);
    clock += 31_000; // the file is now 61 s old: the next event goes to a new file
    await pixelHit(server.url, '__wt1vic=third');
    await drain();
    await waitFor('first file published', () => publishedFiles(server.root).length === 1, 5000);
    assert.equal(
      path.relative(server.root, publishedFiles(server.root)[0]),
      path.join('tracker', '2030', '01', '02', '03', '05-06.log.gz'),
    );
    // Idle: no event comes, the timer publishes the file once it is too old.
    clock += 59_000;
    await sleep(100);
    assert.equal(publishedFiles(server.root).length, 1, 'not yet 60 s old');
    clock += 2_000;
    await waitFor('idle file published by the timer', () => publishedFiles(server.root).length === 2, 5000);
    assert.equal(
      path.relative(server.root, publishedFiles(server.root)[1]),
      path.join('tracker', '2030', '01', '02', '03', '06-07.log.gz'),
    );
  } finally {
    await server.stop();
  }
  assert.deepEqual(
    readAllRows(server.root).map((r) => r.visitor_id),
    ['first', 'second', 'third'],
  );
  assert.equal(publishedFiles(server.root).length, 2, 'nothing empty published at stop');
  removeDir(server.root);
});

test('the open file is readable up to a recent point every flushInterval (crash bound)', async () => {
  const server = await startTestServer({ flushInterval: 0.05 });
  try {
    for (let i = 0; i < 3; i++) await pixelHit(server.url, `__wt1vic=open${i}`);
    await server.collector.context.dispatcher.drain();
    const read = (): string => {
      const [tmp] = temporaryFiles(server.root);
      return tmp ? gunzipSync(readFileSync(tmp), { finishFlush: zc.Z_SYNC_FLUSH }).toString() : '';
    };
    await waitFor('header and three lines readable from the open file', () => read().split('\n').length === 5, 5000);
    assert.match(read(), /open2/);
    // Idle: no more bytes are added by later flushes.
    const [tmp] = temporaryFiles(server.root);
    const size = statSync(tmp).size;
    await sleep(200);
    assert.equal(statSync(tmp).size, size);
  } finally {
    await server.stop();
  }
  removeDir(server.root);
});
