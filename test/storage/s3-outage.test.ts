import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startS3Server } from '../helpers/s3-server.js';
import { createS3Engine, readObjects, s3Keys } from '../helpers/s3-engine.js';
import { removeDir, startTestServer, tempDir } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { liveStorage } from '../helpers/live.js';
import { sampleEvent } from '../helpers/events.js';

// The s3 engine while its server is away: files wait in the spool, retries back off, a full spool
// drops (counted), and everything spooled is uploaded once the server is back.

test('s3: with the server down for a while nothing is lost and uploads resume', async () => {
  const server = await startS3Server();
  const spool = tempDir('wt1-spool-');
  const engine = createS3Engine(s3Keys(server, spool, { 'storage.params.newFileTriggerSize': '2000' }));
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

test(
  's3: in an outage, files closed one after another wait out the backoff ' + 'instead of each making a failed attempt',
  async () => {
    const server = await startS3Server();
    const spool = tempDir('wt1-spool-');
    const engine = createS3Engine(
      s3Keys(server, spool, {
        'storage.params.newFileTriggerSize': '500',
        'storage.params.retryMinDelay': '5',
        'storage.params.retryMaxDelay': '60',
      }),
    );
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
  },
);

test('s3: a full spool drops new events, counted as failed by the queue, until uploads free it', async () => {
  const s3 = await startS3Server();
  const spool = tempDir('wt1-spool-');
  // Any closed file fills this spool: the next events are dropped until it is uploaded.
  const wt1 = await startTestServer(s3Keys(s3, spool, { 'storage.params.maxSpoolBytes': '1' })).catch(
    async (e: unknown) => {
      await s3.stop();
      throw e;
    },
  );
  const hit = async (visitor: string): Promise<void> => {
    const res = await fetch(`${wt1.url}/public/p.gif?__wt1ty=page&__wt1vic=${visitor}`);
    assert.equal(res.status, 200, 'the pixel answers whatever the storage does');
    await res.arrayBuffer();
  };
  const flush = async (): Promise<{ published: string[] }> => {
    const res = await fetch(`${wt1.url}/internal/flush`, { method: 'POST' });
    return (await res.json()) as { published: string[] };
  };
  try {
    await hit('ok0');
    const published = (await flush()).published;
    assert.equal(published.length, 1);
    assert.match(published[0], /^tracker\/\d{4}\/\d\d\/\d\d\/\d\d\/\d\d-\d\d-.+\.log\.gz$/);

    await s3.pause();
    await hit('kept1');
    assert.deepEqual((await flush()).published, [], 'the upload fails: the file stays spooled');
    for (let i = 0; i < 5; i++) await hit(`dropped${i}`);
    await waitFor('the queue to settle', async () => (await liveStorage(wt1.url)).queued === 0);
    let storage = await liveStorage(wt1.url);
    assert.equal(storage.ready, false);
    assert.equal(storage.stats.dropped, 5);
    assert.equal(storage.failed, 5, 'dropped by the engine = failed for the queue');
    assert.equal(storage.received, storage.written + storage.failed + storage.dropped + storage.queued);

    await s3.restart();
    await waitFor('the spool to empty', async () => (await liveStorage(wt1.url)).stats.spoolFiles === 0);
    await hit('ok2');
    await flush();
    storage = await liveStorage(wt1.url);
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
