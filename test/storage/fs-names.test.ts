import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { startTestServer, removeDir, tempDir } from '../helpers/server.js';
import { publishedFiles, readAllRows } from '../helpers/files.js';
import { publishedName } from '../../src/logfile/naming.js';
import { pixelHit } from '../helpers/pixel-hit.js';

// The names of the fs engine's files (the rules themselves: test/logfile/naming.test.ts): never
// reused, never overwriting a file of someone else, the instance id in them, kept in their folder.

test('no name is ever reused: a tiny size trigger at full speed gives one file per event, all kept', async () => {
  const server = await startTestServer({ 'storage.params.newFileTriggerSize': 1, maxQueueSize: 100_000 });
  const total = 600;
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < total) await pixelHit(server.url, `__wt1vic=n${next++}`);
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  } finally {
    await server.stop();
  }
  const files = publishedFiles(server.root);
  assert.equal(files.length, total);
  assert.ok(
    files.some((f) => /-\d+\.log\.gz$/.test(f)),
    'several files closed in the same second got -N suffixes',
  );
  const ids = readAllRows(server.root).map((r) => r.visitor_id);
  assert.equal(ids.length, total);
  assert.equal(new Set(ids).size, total);
  assert.equal(server.collector.context.dispatcher.counters().storage.dropped, 0);
  removeDir(server.root);
});

test('a name taken by someone else is never overwritten: the next number is used', async () => {
  const clock = Date.UTC(2030, 0, 2, 3, 4, 5, 0);
  const root = tempDir();
  const taken = path.join(root, publishedName(clock, '', 0));
  mkdirSync(path.dirname(taken), { recursive: true });
  writeFileSync(taken, 'not ours');
  const server = await startTestServer({ 'storage.params.rootDir': root }, { now: () => clock });
  try {
    await pixelHit(server.url, '__wt1vic=mine');
  } finally {
    await server.stop();
  }
  assert.equal(readFileSync(taken, 'utf8'), 'not ours');
  assert.ok(existsSync(path.join(root, publishedName(clock, '', 1))));
  removeDir(root);
});

test('instanceId goes into file names', async () => {
  const server = await startTestServer({ 'storage.params.instanceId': 'node-a' });
  try {
    await pixelHit(server.url, '__wt1vic=x');
  } finally {
    await server.stop();
  }
  assert.match(path.basename(publishedFiles(server.root)[0]), /^\d\d-\d\d-node-a\.log\.gz$/);
  removeDir(server.root);
});

test('an instanceId with / or other unsafe characters stays inside the hour folder: they become -', async () => {
  const server = await startTestServer({ instanceId: '../up/a b' });
  try {
    await pixelHit(server.url, '__wt1vic=x');
  } finally {
    await server.stop();
  }
  const files = publishedFiles(server.root);
  assert.equal(files.length, 1);
  assert.match(
    path.relative(server.root, files[0]),
    /^tracker\/\d{4}\/\d\d\/\d\d\/\d\d\/\d\d-\d\d-..-up-a-b\.log\.gz$/,
  );
  removeDir(server.root);
});
