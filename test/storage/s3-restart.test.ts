import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { validateConfig } from '../../src/server/plugins.js';
import { columnsOf } from '../../src/storage/registry.js';
import { formatLine, headerLine } from '../../src/logfile/line-format.js';
import { GzipLogFile } from '../../src/storage/gzip-log-file.js';
import { readTornGzip } from '../../src/storage/recovery.js';
import { hourFolder, safeHostname } from '../../src/logfile/naming.js';
import { listKeys, startS3Server } from '../helpers/s3-server.js';
import { createS3Engine, readObjects, s3Keys } from '../helpers/s3-engine.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { spawnWt1 } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';
import { sampleEvent } from '../helpers/events.js';

// What the s3 engine left in its spool (a stop while the server was away, a crash) is uploaded by
// the next start.

/** The pid of a process that has exited (for files "left by a crashed writer"). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

test('s3: files left in the spool (closed, or torn by a crash) are uploaded by the next start', async () => {
  const server = await startS3Server();
  const spool = tempDir('wt1-spool-');
  const keys = s3Keys(server, spool, { shutdownTimeout: '0.5' });
  try {
    await server.pause();
    const first = createS3Engine({ ...keys, 'storage.params.instanceId': 'run-1' });
    await first.open();
    for (let i = 0; i < 5; i++) await first.write(sampleEvent({ visitorId: `closed${i}` }));
    await first.close(); // the server is down: the file stays in the spool
    assert.equal(readdirSync(path.join(spool, 'outbox')).length, 1);

    // A file a crashed writer of this host left half-written (complete lines, then a torn tail).
    const columns = columnsOf(validateConfig(new Map()));
    const at = Date.UTC(2026, 10, 27, 7, 0, 0);
    const dir = path.join(spool, hourFolder(at));
    mkdirSync(dir, { recursive: true });
    const torn = new GzipLogFile(
      path.join(dir, `_00-00.${safeHostname()}.${deadPid()}.abcd1234.log.gz`),
      headerLine(columns),
      at,
    );
    await torn.write(formatLine(sampleEvent({ visitorId: 'crashed0' }), columns));
    await torn.write(formatLine(sampleEvent({ visitorId: 'crashed1' }), columns));
    await torn.syncFlush();
    // The sync-flushed bytes reach the file asynchronously; the "crash" comes once they are there.
    await waitFor('the flushed lines on disk', async () =>
      (await readTornGzip(torn.path)).toString().includes('crashed1'),
    );
    torn.destroy();

    await server.restart();
    const second = createS3Engine({ ...keys, 'storage.params.instanceId': 'run-2' });
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

test(
  's3: wt1 serve with the WT1 S3 config: SIGTERM with the server down leaves the file spooled, ' +
    'the next run uploads it',
  async () => {
    const s3 = await startS3Server();
    const dir = tempDir();
    const spool = path.join(dir, 'spool');
    const configFile = path.join(dir, 'config.properties');
    writeFileSync(
      configFile,
      [
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
      ].join('\n'),
    );
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
      for (const o of objects)
        assert.match(o.key, /^site\/tracker\/\d{4}\/\d\d\/\d\d\/\d\d\/\d\d-\d\d-.+-\d+\.log\.gz$/);
      assert.equal(new Set(objects.map((o) => o.key)).size, 2, 'two runs, two instance ids, two objects');
      const visitors = objects.flatMap((o) => o.lines.map((l) => l.split('\t')[3])).sort();
      assert.deepEqual(visitors, ['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2']);
      assert.deepEqual(readdirSync(path.join(spool, 'outbox')), []);
    } finally {
      await s3.stop();
      removeDir(dir);
    }
  },
);
