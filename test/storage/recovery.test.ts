import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { startTestServer, removeDir, tempDir } from '../helpers/server.js';
import { publishedFiles, readAllRows, readLogFile, temporaryFiles } from '../helpers/files.js';
import { headerLine } from '../../src/logfile/line-format.js';
import { safeHostname } from '../../src/logfile/naming.js';
import { GzipLogFile } from '../../src/storage/gzip-log-file.js';

// Temporary files a crashed writer left under rootDir, recovered by the fs engine's next start.

/** The header of files with the default columns. */
const header = headerLine({
  globalVisitorId: false,
  inlinedVisitorParams: [],
  inlinedSessionParams: [],
  inlinedEventParams: [],
});

/** A complete line of that file for this visitor. */
const line = (id: string): string =>
  ['2030-01-02T03:04:05.000', '1970-01-01T00:00:00.000', '1.2.3.4', id, 's', '"p"', 'null', '"ua"', '"page"']
    .concat(['null', 'null', '""', '0', '0', '0', '0', '"fr"', 'null'])
    .join('\t') + '\n';

/** The hour folder the files of these tests are in. */
const HOUR = path.join('tracker', '2030', '01', '02', '03');

/** A `_` file as a crashed writer (a dead pid of this host) leaves it. */
let crashed = 0;
function crashedFile(root: string, body: Buffer): string {
  const deadPid = 2 ** 22 + 12345; // above the default pid_max: never alive
  const name = path.join(root, HOUR, `_04-05.${safeHostname()}.${deadPid}.abcd${1000 + crashed++}.log.gz`);
  mkdirSync(path.dirname(name), { recursive: true });
  writeFileSync(name, body);
  return name;
}

test('recovery at start: complete lines kept, a torn tail cut, published under a normal name', async () => {
  const root = tempDir();
  // File 1: a real GzipLogFile, sync-flushed, then killed in the middle of the next line.
  const tmp1 = path.join(root, 'scratch.gz');
  const f = new GzipLogFile(tmp1, header, 0);
  await f.write(line('a1'));
  await f.write(line('a2'));
  await f.syncFlush();
  await f.write(line('a3').slice(0, 20));
  await f.syncFlush();
  f.destroy();
  const torn1 = crashedFile(root, readFileSync(tmp1));
  removeDir(tmp1);
  // File 2: a complete gzip cut in the middle of its compressed data.
  const whole = gzipSync(header + line('b1') + line('b2') + line('b3'));
  const torn2 = crashedFile(root, whole.subarray(0, whole.length - 12));
  // File 3: only a header: nothing to publish, removed.
  const empty = crashedFile(root, gzipSync(header));
  const server = await startTestServer({ 'storage.params.rootDir': root });
  const stats = server.collector.context.dispatcher.processors[0];
  try {
    assert.equal(stats.kind, 'storage');
    if (stats.kind === 'storage') assert.equal(stats.engine.stats().recoveredFiles, 2);
  } finally {
    await server.stop();
  }
  for (const t of [torn1, torn2, empty]) assert.equal(existsSync(t), false, `${t} is gone`);
  assert.deepEqual(temporaryFiles(root), []);
  const files = publishedFiles(root);
  assert.equal(files.length, 2);
  const ids = readAllRows(root)
    .map((r) => r.visitor_id)
    .sort();
  assert.ok(ids.includes('a1') && ids.includes('a2') && !ids.includes('a3'), ids.join());
  assert.ok(ids.includes('b1'), 'the complete lines before the cut are kept');
  for (const file of files) for (const l of readLogFile(file).lines) assert.equal(l.split('\t').length, 18);
  removeDir(root);
});

test("a live writer's temporary file is left alone", async () => {
  const root = tempDir();
  const name = path.join(root, HOUR, `_04-05.${safeHostname()}.${process.ppid}.abcd1234.log.gz`);
  mkdirSync(path.dirname(name), { recursive: true });
  writeFileSync(name, gzipSync('#x\nline\n'));
  const server = await startTestServer({ 'storage.params.rootDir': root });
  await server.stop();
  assert.ok(existsSync(name));
  removeDir(root);
});

test(
  'a leftover of another host name (a container re-created on the same volume) is recovered ' +
    'once untouched for 2 x newFileTriggerInterval + 60 s',
  async () => {
    const root = tempDir();
    const folder = path.join(root, HOUR);
    mkdirSync(folder, { recursive: true });
    const stale = path.join(folder, '_04-05.old-container-7f9c.1.abcd0001.log.gz');
    writeFileSync(stale, gzipSync(header + line('gone1') + line('gone2')));
    const at = (Date.now() - 661_000) / 1000; // the default interval, 300 s: 660 s untouched
    utimesSync(stale, at, at);
    // Touched a minute ago: perhaps a live writer on another machine sharing the folder.
    const fresh = path.join(folder, '_04-05.other-host.1.abcd0002.log.gz');
    writeFileSync(fresh, gzipSync(header + line('live1')));
    const minuteAgo = (Date.now() - 60_000) / 1000;
    utimesSync(fresh, minuteAgo, minuteAgo);
    const server = await startTestServer({ 'storage.params.rootDir': root });
    await server.stop();
    assert.equal(existsSync(stale), false);
    assert.ok(existsSync(fresh), 'a recently changed file of another host is left alone');
    assert.deepEqual(
      readAllRows(root).map((r) => r.visitor_id),
      ['gone1', 'gone2'],
    );
    // Without time rotation a live writer may leave its file untouched for ever: never taken.
    const root2 = tempDir();
    const folder2 = path.join(root2, HOUR);
    mkdirSync(folder2, { recursive: true });
    const old = path.join(folder2, '_04-05.old-container-7f9c.1.abcd0003.log.gz');
    writeFileSync(old, gzipSync(header + line('x')));
    utimesSync(old, 1, 1);
    const noRotation = await startTestServer({
      'storage.params.rootDir': root2,
      'storage.params.newFileTriggerInterval': 0,
    });
    await noRotation.stop();
    assert.ok(existsSync(old));
    removeDir(root);
    removeDir(root2);
  },
);

test('a file claimed by a recovery that crashed in turn is recovered at the next start', async () => {
  const root = tempDir();
  const name = crashedFile(root, gzipSync(header + line('c1')));
  const claimedByDead = `${name}.recovering-${2 ** 22 + 999}`;
  renameSync(name, claimedByDead);
  const server = await startTestServer({ 'storage.params.rootDir': root });
  await server.stop();
  assert.equal(existsSync(claimedByDead), false);
  assert.deepEqual(
    readAllRows(root).map((r) => r.visitor_id),
    ['c1'],
  );
  removeDir(root);
});
