import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { validateConfig } from '../../src/server/plugins.js';
import { columnsOf } from '../../src/storage/registry.js';
import { formatLine, headerLine } from '../../src/logfile/line-format.js';
import { startS3Server } from '../helpers/s3-server.js';
import { createS3Engine, readObjects, s3Keys } from '../helpers/s3-engine.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { sampleEvent } from '../helpers/events.js';

// The s3 / gcs engine against a local S3-protocol server: where files land, what an upload sends.
// Outages: s3-outage.test.ts; files left over by a stop or a crash: s3-restart.test.ts.

test('s3: files land under PREFIX/tracker/... with the header and exact lines, never overwriting a key', async () => {
  const server = await startS3Server();
  const spool = tempDir('wt1-spool-');
  const fixedNow = Date.UTC(2026, 10, 27, 6, 5, 4, 500);
  const engine = createS3Engine(
    s3Keys(server, spool, { 'storage.params.prefix': '/logs/prod/', 'storage.params.instanceId': 'web-1' }),
    () => fixedNow,
  );
  try {
    await engine.open();
    const first = [
      sampleEvent({ visitorId: 'a' }),
      sampleEvent({ visitorId: 'b', page: null, ua: 'back\\slash\nnewline' }),
    ];
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
    assert.deepEqual(
      objects.get(r1.published[0])!.lines.map((l) => l + '\n'),
      first.map((e) => formatLine(e, columns)),
    );
    assert.deepEqual(
      objects.get(r2.published[0])!.lines.map((l) => l + '\n'),
      second.map((e) => formatLine(e, columns)),
    );

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
    res.end = (() => {
      req.socket.destroy();
      return res;
    }) as typeof res.end;
  });
  const engine = createS3Engine(s3Keys(server, spool));
  try {
    await engine.open();
    await engine.write(sampleEvent({ visitorId: 'once' }));
    assert.deepEqual((await engine.flush()).published, [], 'the first attempt looks failed');
    await waitFor('the retry', () => engine.stats().spoolFiles === 0);
    const objects = await readObjects(server);
    assert.equal(objects.length, 1, `one object, no copy: ${objects.map((o) => o.key)}`);
    assert.deepEqual(
      objects[0].lines.map((l) => l.split('\t')[3]),
      ['once'],
    );
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
  server.onRequest((req) => {
    seen.push({ method: req.method ?? '', headers: { ...req.headers } });
  });
  const engine = createS3Engine({
    ...s3Keys(server, spool),
    'storage.class': 'com.dataiku.wt1.storage.GCSGAEStorageProcessor',
    'storage.params.instanceId': 'gae',
  });
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
