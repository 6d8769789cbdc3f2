import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { removeDir, startTestServer, tempDir } from '../helpers/server.js';
import { readAllRows, temporaryFiles } from '../helpers/files.js';
import { freePort, spawnWt1, stopWt1 } from '../helpers/process.js';
import { load } from '../helpers/durable-load.js';
import { rawRequest } from '../helpers/raw-http.js';
import { readTornGzip } from '../../src/storage/recovery.js';
import type { StorageThread } from '../../src/storage-thread/storage-thread.js';
import type { TrackedEvent } from '../../src/event/event.js';

test(
  'ackMode=durable: a pixel hit (GET, POST) and an API message are ' +
    'answered once their lines are in the open file on disk',
  async () => {
    // No rotation and no periodic flush during the test: only the group commit can put lines on disk.
    const server = await startTestServer({
      ackMode: 'durable',
      flushInterval: 3600,
      'storage.params.newFileTriggerInterval': 0,
    });
    try {
      const get = await fetch(`${server.url}/public/p.gif?n=get`);
      assert.equal(get.status, 200);
      assert.equal(get.headers.get('content-type'), 'image/gif');
      const post = await fetch(`${server.url}/public/p.gif`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: 'n=post',
      });
      assert.equal(post.status, 200);
      const api = await fetch(`${server.url}/public/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          events: [
            { type: 'e', params: 'n=api1' },
            { type: 'e', params: 'n=api2' },
          ],
        }),
      });
      assert.equal(api.status, 200);
      assert.deepEqual(await api.json(), { accepted: 2 });
      // A tracker input (the generic ingest path) waits the same way.
      const plausible = await fetch(`${server.url}/api/event`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify({ n: 'pageview', u: 'https://site.example/n=plausible', d: 'site.example' }),
      });
      assert.equal(plausible.status, 202);
      // Read from disk as they are: no flush, no close.
      const open = temporaryFiles(server.root);
      assert.equal(open.length, 1, 'one open file');
      const text = (await readTornGzip(open[0])).toString('utf8');
      for (const n of ['n=get', 'n=post', 'n=api1', 'n=api2', 'n=plausible'])
        assert.ok(text.includes(n), `${n} on disk before any flush:\n${text}`);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      const syncs = Number(/^wt1_durable_sync_seconds_count (\d+)$/m.exec(metrics)?.[1]);
      assert.ok(syncs >= 1 && syncs <= 5, `one sync per answer at most here: ${syncs}`);
      assert.match(metrics, /^wt1_durable_group_events_sum 5$/m);
    } finally {
      await server.stop();
    }
    assert.equal(readAllRows(server.root).length, 5, 'each once');
    removeDir(server.root);
  },
);

test('ackMode=durable: a client that half-closes its connection after the body still gets its answer', async () => {
  // The answer comes after the sync, once the client has sent FIN: node:http drops it unless half-open is allowed.
  const server = await startTestServer({ ackMode: 'durable' });
  try {
    const body = JSON.stringify({ events: [{ type: 'e', params: 'n=half' }] });
    const head = `POST /public/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n`;
    const { status, response } = await rawRequest(server.port, `${head}Content-Length: ${body.length}\r\n\r\n${body}`);
    assert.equal(status, 200, response.toString('latin1'));
    const pixel = await rawRequest(server.port, 'GET /public/p.gif?n=halfpixel HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assert.equal(pixel.status, 200);
  } finally {
    await server.stop();
  }
  const rows = readAllRows(server.root);
  assert.equal(rows.length, 2, 'both answered events written once');
  removeDir(server.root);
});

test(
  'ackMode=durable: a full storage queue answers 503 ' + 'Retry-After to the pixel too (the hit is not kept)',
  async () => {
    const server = await startTestServer({ ackMode: 'durable', maxQueueSize: 1 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          fetch(`${server.url}/public/p.gif?n=${i}`).then(async (r) => ({
            status: r.status,
            code: r.headers.get('x-wt1-error'),
            retry: r.headers.get('retry-after'),
            n: i,
            body: await r.arrayBuffer(),
          })),
        ),
      );
      const ok = answers.filter((a) => a.status === 200).map((a) => `n=${a.n}`);
      const refused = answers.filter((a) => a.status === 503);
      assert.equal(ok.length + refused.length, 40);
      assert.ok(ok.length >= 1);
      for (const r of refused) assert.deepEqual([r.code, r.retry], ['WT1_ERR_OVERLOADED', '1']);
      await server.stop();
      const rows = readAllRows(server.root).map((r) => r.event_params);
      assert.deepEqual(rows.sort(), ok.sort(), 'exactly the hits answered 200 are written');
    } finally {
      await server.stop();
    }
    removeDir(server.root);
  },
);

test(
  'ackMode=durable: after kill -9 under load, the next start has every ' +
    'acknowledged hit and API event in the files, each exactly once',
  async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    // Small files: rotations (close, publish) happen under load too, so a kill can land in one.
    const env = {
      WT1_STORAGE__PARAMS__ROOT_DIR: data,
      WT1_ACK_MODE: 'durable',
      WT1_LOG_LEVEL: 'warn',
      WT1_STORAGE__PARAMS__NEW_FILE_TRIGGER_SIZE: '20000',
    };
    const port = await freePort();
    const first = await spawnWt1([], { port, env });
    const acked = new Set<string>();
    const stop = { now: false };
    const sending = load(first.url, acked, stop, 16);
    // Kill once a good number of events were acknowledged (a count, not a time).
    while (acked.size < 1500) await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    stop.now = true;
    await sending;
    const second = await spawnWt1([], { port, env });
    assert.equal(await stopWt1(second), 0, second.output());
    const rows = readAllRows(data);
    const ids = rows.map((r) => /(?:^|&)id=([gpa]\d+[xy]?)/.exec(r.event_params ?? '')?.[1] ?? `? ${r.event_params}`);
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    const duplicates = [...counts].filter(([, n]) => n > 1);
    assert.deepEqual(duplicates, [], 'no line twice');
    const missing = [...acked].filter((id) => !counts.has(id));
    assert.deepEqual(
      missing,
      [],
      `every acknowledged event is in the files (${acked.size} acknowledged, ${rows.length} lines)`,
    );
    assert.ok(
      [...counts.keys()].some((id) => id.startsWith('p')) && [...counts.keys()].some((id) => id.startsWith('a')),
    );
    removeDir(dir);
  },
);

test(
  'ackMode=durable: when the storage thread dies, no answer waits ' +
    'forever, and every event confirmed is in the files',
  async () => {
    const server = await startTestServer({ ackMode: 'durable', flushInterval: 0.05 });
    const { dispatcher } = server.collector.context;
    const storage = dispatcher.processors.find((p) => p.kind === 'storage')!.queue as StorageThread;
    const outcomes: Array<Promise<[string, boolean]>> = [];
    try {
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 200; i++) {
          const id = `r${round}i${i}`;
          assert.ok(dispatcher.admit([event(id)]));
          outcomes.push(dispatcher.whenDurable(1).then((ok) => [id, ok]));
        }
        // Killed with waiters pending: in the thread, on the way, or still in the batch.
        await (storage as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
        const deadline = Date.now() + 10_000;
        while (!storage.ready()) {
          if (Date.now() > deadline) assert.fail('no new storage thread within 10 s');
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      const settled = await Promise.all(outcomes);
      assert.equal(settled.length, 600, 'every waiter answered');
      const confirmed = settled.filter(([, ok]) => ok).map(([id]) => id);
      await server.stop();
      const written = new Set(readAllRows(server.root).map((r) => r.event_params));
      const missing = confirmed.filter((id) => !written.has(`id=${id}`));
      assert.deepEqual(missing, [], `${confirmed.length} confirmed, ${written.size} written`);
    } finally {
      await server.stop();
    }
    removeDir(server.root);
  },
);

function event(id: string): TrackedEvent {
  return {
    serverTS: Date.now(),
    clientTS: 0,
    origAddress: '127.0.0.1',
    visitorId: 'v',
    sessionId: 's',
    globalVisitorId: null,
    page: null,
    referer: null,
    ua: null,
    type: 'e',
    visitorParams: null,
    sessionParams: null,
    eventParams: `id=${id}`,
    browserWidth: 0,
    browserHeight: 0,
    screenWidth: 0,
    screenHeight: 0,
    browserLanguage: null,
    tzOffset: null,
  };
}
