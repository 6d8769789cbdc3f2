import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { validateConfig } from '../../src/server/plugins.js';
import type { RawValue } from '../../src/config/spec.js';
import { columnsOf, createEngine as createFromDescriptor } from '../../src/storage/registry.js';
import { silentLogger } from '../../src/log.js';
import { gcsEngine, s3Engine } from '../../src/storage/s3.js';
import type { StorageEngine } from '../../src/storage/engine.js';
import { formatLine, headerLine } from '../../src/logfile/line-format.js';
import { GzipLogFile } from '../../src/storage/gzip-log-file.js';
import { readTornGzip } from '../../src/storage/recovery.js';
import { hourFolder, safeHostname } from '../../src/logfile/naming.js';
import { getObject, listKeys, startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { removeDir, startTestServer, tempDir } from '../helpers/server.js';
import { spawnWt1 } from '../helpers/process.js';
import { sampleEvent } from '../helpers/events.js';

/** Config keys for the s3 engine against the test server. */
function s3Keys(server: S3TestServer, spool: string, extra: Record<string, RawValue> = {}): Record<string, RawValue> {
  return {
    'storage.class': 's3',
    'storage.params.bucketName': server.bucket,
    'storage.params.accessKey': server.accessKeyId,
    'storage.params.secretKey': server.secretAccessKey,
    'storage.params.endpoint': server.endpoint,
    'storage.params.forcePathStyle': 'true',
    'storage.params.tmpFolder': spool,
    'storage.params.retryMinDelay': '0.02',
    'storage.params.retryMaxDelay': '0.1',
    'storage.params.requestTimeout': '5',
    ...extra,
  };
}

function createEngine(keys: Record<string, RawValue>, now: () => number = Date.now): StorageEngine {
  const config = validateConfig(new Map(Object.entries(keys)));
  return createFromDescriptor(config.storage.engine === 'gcs' ? gcsEngine : s3Engine, config, { logger: silentLogger(), instanceId: config.instanceId || 'test-instance', now });
}

/** Every line of every object under the prefix: [key, header, lines]. */
async function readObjects(server: S3TestServer, prefix = ''): Promise<Array<{ key: string; header: string; lines: string[] }>> {
  const out = [];
  for (const key of await listKeys(server, prefix)) {
    const text = gunzipSync(await getObject(server, key)).toString('utf8');
    assert.ok(text.endsWith('\n'), `${key} ends with a newline`);
    const [header, ...lines] = text.slice(0, -1).split('\n');
    out.push({ key, header: header + '\n', lines });
  }
  return out;
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The pid of a process that has exited (for files "left by a crashed writer"). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

test('s3: files land under PREFIX/tracker/... with the header and exact lines, never overwriting a key', async () => {
  const server = await startS3Server();
  const spool = tempDir('wt1-spool-');
  const fixedNow = Date.UTC(2026, 10, 27, 6, 5, 4, 500);
  const engine = createEngine(s3Keys(server, spool, { 'storage.params.prefix': '/logs/prod/', 'storage.params.instanceId': 'web-1' }), () => fixedNow);
  try {
    await engine.open();
    const first = [sampleEvent({ visitorId: 'a' }), sampleEvent({ visitorId: 'b', page: null, ua: 'back\\slash\nnewline' })];
    for (const e of first) await engine.write(e);
    const r1 = await engine.flush();
    const second = [sampleEvent({ visitorId: 'c' })];
    for (const e of second) await engine.write(e);
    const r2 = await engine.flush();

    // Same second, same instance: the second file gets -1 instead of replacing the first.
    assert.deepEqual(r1.published, ['logs/prod/tracker/2026/11/27/06/05-04-web-1.log.gz']);
    assert.deepEqual(r2.published, ['logs/prod/tracker/2026/11/27/06/05-04-web-1-1.log.gz']);
    const objects = new Map((await readObjects(server)).map((o) => [o.key, o]));
    assert.deepEqual([...objects.keys()].sort(), [...r1.published, ...r2.published].sort());
    const columns = columnsOf(validateConfig(new Map()));
    for (const o of objects.values()) assert.equal(o.header, headerLine(columns));
    assert.deepEqual(objects.get(r1.published[0])!.lines.map((l) => l + '\n'), first.map((e) => formatLine(e, columns)));
    assert.deepEqual(objects.get(r2.published[0])!.lines.map((l) => l + '\n'), second.map((e) => formatLine(e, columns)));

    const stats = engine.stats();
    assert.equal(stats.uploadedFiles, 2);
    assert.equal(stats.uploadedEvents, 3);
    assert.equal(stats.spoolFiles, 0);
    assert.equal(stats.uploadFailures, 0);
    assert.deepEqual(readdirSync(path.join(spool, 'outbox')), [], 'uploaded files leave the spool');
    // An empty flush publishes nothing.
    assert.deepEqual((await engine.flush()).published, []);
  } finally {
    await engine.close();
    await server.stop();
    removeDir(spool);
  }
});

test('s3: with the server down for a while nothing is lost and uploads resume', async () => {
  const server = await startS3Server();
  const spool = tempDir('wt1-spool-');
  const engine = createEngine(s3Keys(server, spool, { 'storage.params.newFileTriggerSize': '2000' }));
  const sent: string[] = [];
  try {
    await engine.open();
    const writeSome = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const id = `v${sent.length}`;
        sent.push(id);
        await engine.write(sampleEvent({ visitorId: id, serverTS: Date.now() }));
      }
    };
    await writeSome(20);
    await server.pause();
    await writeSome(60); // several files rotate on size while the server is away
    assert.deepEqual((await engine.flush()).published, [], 'nothing can be published while the server is down');
    await waitFor('failed attempts', () => engine.stats().uploadFailures >= 3);
    const during = engine.stats();
    assert.ok(during.spoolFiles >= 2, `files wait in the spool (${during.spoolFiles})`);
    assert.ok(during.spoolBytes > 0);
    await writeSome(10);
    await server.restart();
    await engine.flush();
    await waitFor('an empty spool', () => engine.stats().spoolFiles === 0);

    const seen = (await readObjects(server)).flatMap((o) => o.lines.map((l) => l.split('\t')[3]));
    assert.deepEqual([...seen].sort(), [...sent].sort(), 'every event exactly once');
    const stats = engine.stats();
    assert.equal(stats.uploadedEvents, sent.length);
    assert.equal(stats.savedEvents, sent.length);
  } finally {
    await engine.close();
    await server.stop();
    removeDir(spool);
  }
});

test('s3: in an outage, files closed one after another wait out the backoff instead of each making a failed attempt', async () => {
  const server = await startS3Server();
  const spool = tempDir('wt1-spool-');
  const engine = createEngine(s3Keys(server, spool, {
    'storage.params.newFileTriggerSize': '500', 'storage.params.retryMinDelay': '5', 'storage.params.retryMaxDelay': '60',
  }));
  const write = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i++) await engine.write(sampleEvent({ visitorId: `v${i}` }));
  };
  try {
    await engine.open();
    await server.pause();
    await write(0, 10);
    await waitFor('the first failed attempt', () => engine.stats().uploadFailures >= 1);
    const failuresBefore = engine.stats().uploadFailures;
    await write(10, 60); // many more files close while the loop waits its 2.5-5 s backoff
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(engine.stats().spoolFiles >= 10, `files wait in the spool (${engine.stats().spoolFiles})`);
    assert.equal(engine.stats().uploadFailures, failuresBefore, 'no attempt per closed file: the backoff holds');
    await server.restart();
    await engine.flush(); // an explicit flush does cut the wait short
    await waitFor('an empty spool', () => engine.stats().spoolFiles === 0);
    assert.equal(engine.stats().uploadedEvents, 60);
  } finally {
    await engine.close();
    await server.stop();
    removeDir(spool);
  }
});

test('s3: files left in the spool (closed, or torn by a crash) are uploaded by the next start', async () => {
  const server = await startS3Server();
  const spool = tempDir('wt1-spool-');
  const keys = s3Keys(server, spool, { shutdownTimeout: '0.5' });
  try {
    await server.pause();
    const first = createEngine({ ...keys, 'storage.params.instanceId': 'run-1' });
    await first.open();
    for (let i = 0; i < 5; i++) await first.write(sampleEvent({ visitorId: `closed${i}` }));
    await first.close(); // the server is down: the file stays in the spool
    assert.equal(readdirSync(path.join(spool, 'outbox')).length, 1);

    // A file a crashed writer of this host left half-written (complete lines, then a torn tail).
    const columns = columnsOf(validateConfig(new Map()));
    const at = Date.UTC(2026, 10, 27, 7, 0, 0);
    const dir = path.join(spool, hourFolder(at));
    mkdirSync(dir, { recursive: true });
    const torn = new GzipLogFile(path.join(dir, `_00-00.${safeHostname()}.${deadPid()}.abcd1234.log.gz`), headerLine(columns), at);
    await torn.write(formatLine(sampleEvent({ visitorId: 'crashed0' }), columns));
    await torn.write(formatLine(sampleEvent({ visitorId: 'crashed1' }), columns));
    await torn.syncFlush();
    // The sync-flushed bytes reach the file asynchronously; the "crash" comes once they are there.
    await waitFor('the flushed lines on disk', async () => (await readTornGzip(torn.path)).toString().includes('crashed1'));
    torn.destroy();

    await server.restart();
    const second = createEngine({ ...keys, 'storage.params.instanceId': 'run-2' });
    try {
      await second.open();
      await waitFor('an empty spool', () => second.stats().spoolFiles === 0);
      const objects = await readObjects(server);
      const byKey = Object.fromEntries(objects.map((o) => [o.key, o.lines.map((l) => l.split('\t')[3])]));
      const keysFound = Object.keys(byKey);
      assert.equal(keysFound.length, 2);
      const closed = keysFound.find((k) => k.endsWith('-run-1.log.gz'));
      const recovered = keysFound.find((k) => k.endsWith('-run-2.log.gz'));
      assert.ok(closed, `the closed file keeps its writer's instance id: ${keysFound}`);
      assert.ok(recovered, `the recovered file is published by the new run: ${keysFound}`);
      assert.deepEqual(byKey[closed], ['closed0', 'closed1', 'closed2', 'closed3', 'closed4']);
      assert.deepEqual(byKey[recovered], ['crashed0', 'crashed1']);
      const stats = second.stats();
      assert.equal(stats.adoptedFiles, 1);
      assert.equal(stats.recoveredEvents, 2);
      assert.equal(stats.uploadedEvents, 7);
    } finally {
      await second.close();
    }
  } finally {
    await server.stop();
    removeDir(spool);
  }
});

test('s3: a full spool drops new events, counted as failed by the queue, until uploads free it', async () => {
  const s3 = await startS3Server();
  const spool = tempDir('wt1-spool-');
  // Any closed file fills this spool: the next events are dropped until it is uploaded.
  const wt1 = await startTestServer(s3Keys(s3, spool, { 'storage.params.maxSpoolBytes': '1' })).catch(async (e: unknown) => {
    await s3.stop();
    throw e;
  });
  const hit = async (visitor: string): Promise<void> => {
    const res = await fetch(`${wt1.url}/public/p.gif?__wt1ty=page&__wt1vic=${visitor}`);
    assert.equal(res.status, 200, 'the pixel answers whatever the storage does');
    await res.arrayBuffer();
  };
  const flush = async (): Promise<{ published: string[] }> => {
    const res = await fetch(`${wt1.url}/internal/flush`, { method: 'POST' });
    return (await res.json()) as { published: string[] };
  };
  const live = async (): Promise<{ processors: { storage: { received: number; written: number; failed: number; dropped: number; queued: number; ready: boolean; stats: Record<string, number> } } }> =>
    (await (await fetch(`${wt1.url}/internal/live`)).json()) as never;
  try {
    await hit('ok0');
    const published = (await flush()).published;
    assert.equal(published.length, 1);
    assert.match(published[0], /^tracker\/\d{4}\/\d\d\/\d\d\/\d\d\/\d\d-\d\d-.+\.log\.gz$/);

    await s3.pause();
    await hit('kept1');
    assert.deepEqual((await flush()).published, [], 'the upload fails: the file stays spooled');
    for (let i = 0; i < 5; i++) await hit(`dropped${i}`);
    await waitFor('the queue to settle', async () => (await live()).processors.storage.queued === 0);
    let storage = (await live()).processors.storage;
    assert.equal(storage.ready, false);
    assert.equal(storage.stats.dropped, 5);
    assert.equal(storage.failed, 5, 'dropped by the engine = failed for the queue');
    assert.equal(storage.received, storage.written + storage.failed + storage.dropped + storage.queued);

    await s3.restart();
    await waitFor('the spool to empty', async () => (await live()).processors.storage.stats.spoolFiles === 0);
    await hit('ok2');
    await flush();
    storage = (await live()).processors.storage;
    assert.equal(storage.ready, true);
    const visitors = (await readObjects(s3)).flatMap((o) => o.lines.map((l) => l.split('\t')[3]));
    assert.deepEqual(visitors.sort(), ['kept1', 'ok0', 'ok2']);
  } finally {
    await wt1.stop();
    await s3.stop();
    removeDir(spool);
    removeDir(wt1.root);
  }
});

test('s3: an upload whose answer was lost is recognized on retry, not copied under a new key', async () => {
  const server = await startS3Server();
  const spool = tempDir('wt1-spool-');
  let putsBroken = 0;
  const puts: Array<Record<string, unknown>> = [];
  server.onRequest((req, res) => {
    if (req.method !== 'PUT') return;
    puts.push({ ...req.headers });
    if (putsBroken++ > 0) return;
    // The object is stored, but the client never hears it.
    res.end = (() => { req.socket.destroy(); return res; }) as typeof res.end;
  });
  const engine = createEngine(s3Keys(server, spool));
  try {
    await engine.open();
    await engine.write(sampleEvent({ visitorId: 'once' }));
    assert.deepEqual((await engine.flush()).published, [], 'the first attempt looks failed');
    await waitFor('the retry', () => engine.stats().spoolFiles === 0);
    const objects = await readObjects(server);
    assert.equal(objects.length, 1, `one object, no copy: ${objects.map((o) => o.key)}`);
    assert.deepEqual(objects[0].lines.map((l) => l.split('\t')[3]), ['once']);
    assert.equal(engine.stats().uploadFailures, 1);
    assert.equal(puts.length, 1, 'the retry found the object (HEAD) and did not upload again');
    assert.equal(puts[0]['if-none-match'], '*', 'S3 uploads are create-only');
    assert.ok(puts[0]['content-md5'], 'uploads carry Content-MD5');
  } finally {
    await engine.close();
    await server.stop();
    removeDir(spool);
  }
});

test('gcs: same engine with the GCS create-only precondition on uploads only', async () => {
  const server = await startS3Server();
  const spool = tempDir('wt1-spool-');
  const seen: Array<{ method: string; headers: Record<string, unknown> }> = [];
  server.onRequest((req) => { seen.push({ method: req.method ?? '', headers: { ...req.headers } }); });
  const engine = createEngine({ ...s3Keys(server, spool), 'storage.class': 'com.dataiku.wt1.storage.GCSGAEStorageProcessor', 'storage.params.instanceId': 'gae' });
  try {
    await engine.open();
    await engine.write(sampleEvent());
    const { published } = await engine.flush();
    assert.equal(published.length, 1);
    assert.match(published[0], /-gae\.log\.gz$/);
    const put = seen.filter((r) => r.method === 'PUT');
    const head = seen.filter((r) => r.method === 'HEAD');
    assert.equal(put.length, 1);
    assert.equal(put[0].headers['x-goog-if-generation-match'], '0');
    assert.equal(put[0].headers['if-none-match'], undefined);
    assert.ok(head.length >= 1);
    for (const h of head) assert.equal(h.headers['x-goog-if-generation-match'], undefined, 'never on HEAD');
  } finally {
    await engine.close();
    await server.stop();
    removeDir(spool);
  }
});

test('s3: wt1 serve with the WT1 S3 config: SIGTERM with the server down leaves the file spooled, the next run uploads it', async () => {
  const s3 = await startS3Server();
  const dir = tempDir();
  const spool = path.join(dir, 'spool');
  const configFile = path.join(dir, 'config.properties');
  writeFileSync(configFile, [
    'storage.class=com.dataiku.wt1.storage.S3StorageProcessor',
    `storage.params.bucketName=${s3.bucket}`,
    `storage.params.accessKey=${s3.accessKeyId}`,
    `storage.params.secretKey=${s3.secretAccessKey}`,
    `storage.params.tmpFolder=${spool}`,
    `storage.params.endpoint=${s3.endpoint}`,
    'storage.params.forcePathStyle=true',
    'storage.params.prefix=site',
    'shutdownTimeout=2',
    '',
  ].join('\n'));
  const hits = async (url: string, prefix: string, n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${url}/public/p.gif?__wt1ty=page&__wt1vic=${prefix}${i}`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
  };
  try {
    const first = await spawnWt1(['--config', configFile]);
    try {
      await hits(first.url, 'a', 5);
      await s3.pause();
      first.child.kill('SIGTERM');
      assert.equal(await first.exited, 0, first.output());
    } finally {
      first.child.kill('SIGKILL');
    }
    assert.equal(readdirSync(path.join(spool, 'outbox')).length, 1, 'the unuploaded file waits in the spool');
    assert.deepEqual(await s3.restart().then(() => listKeys(s3)), []);

    const second = await spawnWt1(['--config', configFile]);
    try {
      await waitFor('the left file to be uploaded', async () => (await listKeys(s3)).length === 1);
      await hits(second.url, 'b', 3);
      second.child.kill('SIGTERM');
      assert.equal(await second.exited, 0, second.output());
    } finally {
      second.child.kill('SIGKILL');
    }
    const objects = await readObjects(s3);
    for (const o of objects) assert.match(o.key, /^site\/tracker\/\d{4}\/\d\d\/\d\d\/\d\d\/\d\d-\d\d-.+-\d+\.log\.gz$/);
    assert.equal(new Set(objects.map((o) => o.key)).size, 2, 'two runs, two instance ids, two objects');
    const visitors = objects.flatMap((o) => o.lines.map((l) => l.split('\t')[3])).sort();
    assert.deepEqual(visitors, ['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2']);
    assert.deepEqual(readdirSync(path.join(spool, 'outbox')), []);
  } finally {
    await s3.stop();
    removeDir(dir);
  }
});
