import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, statSync, utimesSync } from 'node:fs';
import { Wt1Error } from '../../src/errors.js';
import path from 'node:path';
import { gzipSync, gunzipSync, constants as zc } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, removeDir, tempDir } from '../helpers/server.js';
import { publishedFiles, readAllRows, readLogFile, temporaryFiles } from '../helpers/files.js';
import { headerLine } from '../../src/logfile/line-format.js';
import { safeHostname, publishedName, temporaryName, parseTemporaryName } from '../../src/logfile/naming.js';
import { GzipLogFile } from '../../src/storage/gzip-log-file.js';

const hit = async (url: string, q: string): Promise<void> => {
  const res = await fetch(`${url}/public/p.gif?${q}`);
  assert.equal(res.status, 200);
  await res.arrayBuffer();
};

/** Polls `check` until it holds (bounded), for what a timer does on its own. */
async function eventually(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

test('file names: UTC tracker/YYYY/MM/DD/HH/mm-ss[-INSTANCE][-N].log.gz; temporaries start with _', () => {
  const t = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
  assert.equal(publishedName(t, '', 0), path.join('tracker', '2030', '01', '02', '03', '04-05.log.gz'));
  assert.equal(publishedName(t, 'web-1', 0), path.join('tracker', '2030', '01', '02', '03', '04-05-web-1.log.gz'));
  assert.equal(publishedName(t, 'web-1', 3), path.join('tracker', '2030', '01', '02', '03', '04-05-web-1-3.log.gz'));
  const tmp = path.basename(temporaryName(t));
  assert.match(tmp, /^_04-05\./);
  assert.deepEqual(parseTemporaryName(tmp), { host: safeHostname(), pid: process.pid });
  assert.equal(parseTemporaryName('04-05.log.gz'), undefined);
});

test('rotation by size: a new file once the uncompressed size reaches newFileTriggerSize', async () => {
  const server = await startTestServer({ 'storage.params.newFileTriggerSize': 2000 });
  try {
    for (let i = 0; i < 40; i++) await hit(server.url, `__wt1vic=v${i}&pad=${'p'.repeat(100)}`);
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
  assert.deepEqual(readAllRows(server.root).map((r) => r.visitor_id), Array.from({ length: 40 }, (_, i) => `v${i}`));
  assert.deepEqual(temporaryFiles(server.root), []);
  removeDir(server.root);
});

test('rotation by time: on the next event, and by the timer while idle; names from the (UTC) clock', async () => {
  let clock = Date.UTC(2030, 0, 2, 3, 4, 5, 0);
  const server = await startTestServer({ 'storage.params.newFileTriggerInterval': 60, flushInterval: 0.02 }, { now: () => clock });
  try {
    // Each hit is drained before the clock moves: the storage sees the time the test says.
    const drain = (): Promise<void> => server.collector.context.dispatcher.drain();
    await hit(server.url, '__wt1vic=first');
    await drain();
    clock += 30_000;
    await hit(server.url, '__wt1vic=second');
    await drain();
    assert.deepEqual(publishedFiles(server.root), []);
    clock += 31_000; // the file is now 61 s old: the next event goes to a new file
    await hit(server.url, '__wt1vic=third');
    await drain();
    await eventually(() => publishedFiles(server.root).length === 1, 'first file published');
    assert.equal(path.relative(server.root, publishedFiles(server.root)[0]), path.join('tracker', '2030', '01', '02', '03', '05-06.log.gz'));
    // Idle: no event comes, the timer publishes the file once it is too old.
    clock += 59_000;
    await sleep(100);
    assert.equal(publishedFiles(server.root).length, 1, 'not yet 60 s old');
    clock += 2_000;
    await eventually(() => publishedFiles(server.root).length === 2, 'idle file published by the timer');
    assert.equal(path.relative(server.root, publishedFiles(server.root)[1]), path.join('tracker', '2030', '01', '02', '03', '06-07.log.gz'));
  } finally {
    await server.stop();
  }
  assert.deepEqual(readAllRows(server.root).map((r) => r.visitor_id), ['first', 'second', 'third']);
  assert.equal(publishedFiles(server.root).length, 2, 'nothing empty published at stop');
  removeDir(server.root);
});

test('no name is ever reused: a tiny size trigger at full speed gives one file per event, all kept', async () => {
  const server = await startTestServer({ 'storage.params.newFileTriggerSize': 1, maxQueueSize: 100_000 });
  const total = 600;
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < total) await hit(server.url, `__wt1vic=n${next++}`);
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  } finally {
    await server.stop();
  }
  const files = publishedFiles(server.root);
  assert.equal(files.length, total);
  assert.ok(files.some((f) => /-\d+\.log\.gz$/.test(f)), 'several files closed in the same second got -N suffixes');
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
    await hit(server.url, '__wt1vic=mine');
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
    await hit(server.url, '__wt1vic=x');
  } finally {
    await server.stop();
  }
  assert.match(path.basename(publishedFiles(server.root)[0]), /^\d\d-\d\d-node-a\.log\.gz$/);
  removeDir(server.root);
});

test('an instanceId with / or other unsafe characters stays inside the hour folder: they become -', async () => {
  const server = await startTestServer({ instanceId: '../up/a b' });
  try {
    await hit(server.url, '__wt1vic=x');
  } finally {
    await server.stop();
  }
  const files = publishedFiles(server.root);
  assert.equal(files.length, 1);
  assert.match(path.relative(server.root, files[0]), /^tracker\/\d{4}\/\d\d\/\d\d\/\d\d\/\d\d-\d\d-..-up-a-b\.log\.gz$/);
  removeDir(server.root);
});

test('the open file is readable up to a recent point every flushInterval (crash bound)', async () => {
  const server = await startTestServer({ flushInterval: 0.05 });
  try {
    for (let i = 0; i < 3; i++) await hit(server.url, `__wt1vic=open${i}`);
    await server.collector.context.dispatcher.drain();
    const read = (): string => {
      const [tmp] = temporaryFiles(server.root);
      return tmp ? gunzipSync(readFileSync(tmp), { finishFlush: zc.Z_SYNC_FLUSH }).toString() : '';
    };
    await eventually(() => read().split('\n').length === 5, 'header and three lines readable from the open file');
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

/** A `_` file as a crashed writer (a dead pid of this host) leaves it. */
let crashed = 0;
function crashedFile(root: string, body: Buffer): string {
  const deadPid = 2 ** 22 + 12345; // above the default pid_max: never alive
  const name = path.join(root, 'tracker', '2030', '01', '02', '03', `_04-05.${safeHostname()}.${deadPid}.abcd${1000 + crashed++}.log.gz`);
  mkdirSync(path.dirname(name), { recursive: true });
  writeFileSync(name, body);
  return name;
}

test('recovery at start: complete lines kept, a torn tail cut, published under a normal name', async () => {
  const root = tempDir();
  const header = headerLine({ globalVisitorId: false, inlinedVisitorParams: [], inlinedSessionParams: [], inlinedEventParams: [] });
  const line = (id: string): string => `2030-01-02T03:04:05.000\t1970-01-01T00:00:00.000\t1.2.3.4\t${id}\ts\t"p"\tnull\t"ua"\t"page"\tnull\tnull\t""\t0\t0\t0\t0\t"fr"\tnull\n`;
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
  const ids = readAllRows(root).map((r) => r.visitor_id).sort();
  assert.ok(ids.includes('a1') && ids.includes('a2') && !ids.includes('a3'), ids.join());
  assert.ok(ids.includes('b1'), 'the complete lines before the cut are kept');
  for (const file of files) for (const l of readLogFile(file).lines) assert.equal(l.split('\t').length, 18);
  removeDir(root);
});

test('a live writer\'s temporary file is left alone', async () => {
  const root = tempDir();
  const name = path.join(root, 'tracker', '2030', '01', '02', '03', `_04-05.${safeHostname()}.${process.ppid}.abcd1234.log.gz`);
  mkdirSync(path.dirname(name), { recursive: true });
  writeFileSync(name, gzipSync('#x\nline\n'));
  const server = await startTestServer({ 'storage.params.rootDir': root });
  await server.stop();
  assert.ok(existsSync(name));
  removeDir(root);
});

test('a leftover of another host name (a container re-created on the same volume) is recovered once untouched for 2 x newFileTriggerInterval + 60 s', async () => {
  const root = tempDir();
  const header = headerLine({ globalVisitorId: false, inlinedVisitorParams: [], inlinedSessionParams: [], inlinedEventParams: [] });
  const line = (id: string): string => `2030-01-02T03:04:05.000\t1970-01-01T00:00:00.000\t1.2.3.4\t${id}\ts\t"p"\tnull\t"ua"\t"page"\tnull\tnull\t""\t0\t0\t0\t0\t"fr"\tnull\n`;
  const folder = path.join(root, 'tracker', '2030', '01', '02', '03');
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
  assert.deepEqual(readAllRows(root).map((r) => r.visitor_id), ['gone1', 'gone2']);
  // Without time rotation a live writer may leave its file untouched for ever: never taken.
  const root2 = tempDir();
  const folder2 = path.join(root2, 'tracker', '2030', '01', '02', '03');
  mkdirSync(folder2, { recursive: true });
  const old = path.join(folder2, '_04-05.old-container-7f9c.1.abcd0003.log.gz');
  writeFileSync(old, gzipSync(header + line('x')));
  utimesSync(old, 1, 1);
  const noRotation = await startTestServer({ 'storage.params.rootDir': root2, 'storage.params.newFileTriggerInterval': 0 });
  await noRotation.stop();
  assert.ok(existsSync(old));
  removeDir(root);
  removeDir(root2);
});

test('a file claimed by a recovery that crashed in turn is recovered at the next start', async () => {
  const root = tempDir();
  const header = headerLine({ globalVisitorId: false, inlinedVisitorParams: [], inlinedSessionParams: [], inlinedEventParams: [] });
  const name = crashedFile(root, gzipSync(header + '2030-01-02T03:04:05.000\t1970-01-01T00:00:00.000\t1.2.3.4\tc1\ts\t"p"\tnull\t"ua"\t"page"\tnull\tnull\t""\t0\t0\t0\t0\t"fr"\tnull\n'));
  const claimedByDead = `${name}.recovering-${2 ** 22 + 999}`;
  renameSync(name, claimedByDead);
  const server = await startTestServer({ 'storage.params.rootDir': root });
  await server.stop();
  assert.equal(existsSync(claimedByDead), false);
  assert.deepEqual(readAllRows(root).map((r) => r.visitor_id), ['c1']);
  removeDir(root);
});

test('a rootDir that cannot be created stops the start with WT1_ERR_STORAGE_IO', async () => {
  const dir = tempDir();
  const blocker = path.join(dir, 'file');
  writeFileSync(blocker, '');
  await assert.rejects(startTestServer({ 'storage.params.rootDir': path.join(blocker, 'data') }), (e: unknown) => {
    assert.ok(e instanceof Wt1Error);
    assert.equal(e.code, 'WT1_ERR_STORAGE_IO');
    assert.match(e.message, /the fs storage engine cannot start: storage\.params\.rootDir: cannot create the folder .*file\/data\/tracker \(ENOTDIR\)/);
    return true;
  });
  removeDir(dir);
});

test('gzipLevel reaches zlib (the gzip header says fastest / default / best), and bad levels stop the start', async () => {
  // Byte 8 of a gzip member (XFL) is zlib's note of its level: 4 for level 1, 2 for level 9, 0 between.
  const xflOf = async (keys: Record<string, string | number>): Promise<number[]> => {
    const server = await startTestServer(keys);
    try {
      await hit(server.url, '__wt1ty=page&__wt1vic=v1');
    } finally {
      await server.stop();
    }
    const files = publishedFiles(server.root);
    assert.equal(readAllRows(server.root).length, 1);
    const flags = files.map((f) => readFileSync(f)[8]);
    removeDir(server.root);
    return flags;
  };
  assert.deepEqual(await xflOf({ 'storage.params.gzipLevel': 1 }), [4]);
  assert.deepEqual(await xflOf({}), [0]); // the default, 3
  assert.deepEqual(await xflOf({ 'storage.params.gzipLevel': '9' }), [2]);
  for (const bad of ['0', '10', 'fast', '3.5']) {
    await assert.rejects(startTestServer({ 'storage.params.gzipLevel': bad }), (e: unknown) => {
      assert.ok(e instanceof Wt1Error, String(e));
      assert.match(e.message, new RegExp(`storage\\.params\\.gzipLevel: "${bad.replace('.', '\\.')}"`));
      return true;
    });
  }
});
