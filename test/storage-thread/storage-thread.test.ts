import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import type { TrackedEvent } from '../../src/event/event.js';
import { eventFromHit, HIT_ID_PREFIX, PixelHit, type HitFields } from '../../src/event/pixel-hit.js';
import { decodeRecords, encodeRecord } from '../../src/storage-thread/protocol.js';
import { StorageThread } from '../../src/storage-thread/storage-thread.js';
import { removeDir, startTestServer, tempDir, withServer, type TestServer } from '../helpers/server.js';
import { publishedFiles, readAllRows } from '../helpers/files.js';

const EVENT: TrackedEvent = {
  serverTS: 1_700_000_000_123,
  clientTS: 1_699_999_999_000,
  origAddress: '203.0.113.9',
  visitorId: 'v1',
  sessionId: 's1',
  globalVisitorId: null,
  page: 'https://example.com/a\tb',
  referer: null,
  ua: 'UA "quoted"',
  type: 'click',
  visitorParams: 'plan=pro',
  sessionParams: null,
  eventParams: 'k=v&k2=%E2%82%AC',
  browserWidth: 1280,
  browserHeight: 0,
  screenWidth: -1,
  screenHeight: 1080,
  browserLanguage: 'fr-FR',
  tzOffset: null,
};

test('storage thread protocol: hits (GET and POST) and events cross the thread boundary field for field', () => {
  const get = new PixelHit(
    ['a=1&__wt1ty=page'],
    1_700_000_000_000,
    '198.51.100.7',
    'https://r.example/é',
    undefined,
    null,
    41,
  );
  const post = new PixelHit(['q=1', 'body=2'], 1_700_000_000_001, '::1', undefined, 'UA', 'gid', 42);
  const records: unknown[] = [];
  for (const item of [get, EVENT, post]) encodeRecord(records, item);
  const out: Array<HitFields | TrackedEvent> = [];
  decodeRecords(
    structuredClone(records),
    (hit) => out.push(hit),
    (event) => out.push(event),
  );
  assert.equal(out.length, 3);
  const pick = (h: PixelHit): HitFields => ({
    queryStrings: h.queryStrings,
    now: h.now,
    clientAddress: h.clientAddress,
    rawReferer: h.rawReferer,
    rawUserAgent: h.rawUserAgent,
    globalVisitorId: h.globalVisitorId,
    seq: h.seq,
  });
  assert.deepEqual(out[0], pick(get));
  assert.deepEqual(out[1], EVENT);
  assert.deepEqual(out[2], pick(post));
  // Built on either side, a hit without ids gets the same generated ids.
  const anonymous = new PixelHit(['__wt1ty=page'], 1, '127.0.0.1', undefined, undefined, null, 7);
  const rebuilt: HitFields[] = [];
  const one: unknown[] = [];
  encodeRecord(one, anonymous);
  decodeRecords(
    structuredClone(one),
    (hit) => rebuilt.push(hit),
    () => assert.fail('not an event'),
  );
  const here = anonymous.event();
  const there = eventFromHit(rebuilt[0], HIT_ID_PREFIX);
  assert.equal(there.visitorId, here.visitorId);
  assert.equal(there.sessionId, here.sessionId);
  assert.match(here.visitorId, /^Z[0-9a-f]{32}$/);
  assert.match(here.sessionId, /^Z[0-9a-f]{32}$/);
  assert.notEqual(here.visitorId, here.sessionId);
});

async function hit(server: TestServer, query: string): Promise<void> {
  const res = await fetch(`${server.url}/public/p.gif?${query}`, { headers: { referer: 'https://shop.example/p' } });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
}

function storageOf(server: TestServer): StorageThread {
  const processor = server.collector.context.dispatcher.processors.find((p) => p.kind === 'storage')!;
  assert.ok(
    processor.engine instanceof StorageThread,
    'storageThread=true (the default) runs the engine on its own thread',
  );
  return processor.engine;
}

test(
  'storage thread: the default; a hit without cookies has the same ' +
    'generated ids in /internal/live and in the file',
  async () => {
    await withServer({}, async (server) => {
      storageOf(server);
      await hit(server, '__wt1ty=page&product=sku-1');
      await hit(server, '__wt1ty=click&__wt1vic=known-visitor');
      const live = (await (await fetch(`${server.url}/internal/live`)).json()) as {
        lastEvents: TrackedEvent[];
        processors: { storage: { written: number } };
      };
      const flushed = (await (await fetch(`${server.url}/internal/flush`, { method: 'POST' })).json()) as {
        published: string[];
      };
      assert.equal(flushed.published.length, 1, 'the flush went through the thread and published the file');
      const rows = readAllRows(server.root);
      assert.equal(rows.length, 2);
      const [click, page] = live.lastEvents; // newest first
      assert.equal(rows[0].visitor_id, page.visitorId);
      assert.equal(rows[0].session_id, page.sessionId);
      assert.match(page.visitorId, /^Z[0-9a-f]{32}$/);
      assert.equal(rows[0].event_params, 'product=sku-1');
      assert.equal(rows[1].visitor_id, 'known-visitor');
      assert.equal(rows[1].session_id, click.sessionId);
      assert.equal(rows[1].location, 'https://shop.example/p'); // readAllRows unquotes
    });
  },
);

test(
  'storage thread: a full queue drops and counts, and received = ' +
    'written + queued + dropped + failed at every look',
  async () => {
    const root = tempDir();
    const server = await startTestServer({ 'storage.params.rootDir': root, maxQueueSize: 20 });
    const storage = storageOf(server);
    try {
      // Offered synchronously, faster than any thread can answer: the bound must hold on this side.
      for (let i = 0; i < 500; i++)
        server.collector.context.dispatcher.track(
          new PixelHit([`n=${i}`], Date.now(), '127.0.0.1', undefined, undefined, null, i),
        );
      let c = storage.counters();
      assert.equal(c.received, 500);
      assert.equal(c.dropped, 480);
      assert.equal(c.received, c.written + c.queued + c.dropped + c.failed);
      await storage.barrier();
      c = storage.counters();
      assert.deepEqual(
        { queued: c.queued, written: c.written, dropped: c.dropped, failed: c.failed },
        { queued: 0, written: 20, dropped: 480, failed: 0 },
      );
    } finally {
      await server.stop();
    }
    // After the stop, an event offered (library use) is refused and counted as failed, never lost.
    server.collector.context.dispatcher.track(
      new PixelHit(['late=1'], Date.now(), '127.0.0.1', undefined, undefined, null, 500),
    );
    const after = storage.counters();
    assert.deepEqual(
      { received: after.received, failed: after.failed, queued: after.queued },
      { received: 501, failed: 1, queued: 0 },
    );
    assert.equal(after.received, after.written + after.queued + after.dropped + after.failed);
    assert.deepEqual(
      readAllRows(root).map((r) => r.event_params),
      Array.from({ length: 20 }, (_, i) => `n=${i}`),
    );
    removeDir(root);
  },
);

test(
  'storage thread: maxQueueBytes drops large hits past the bound ' +
    '(memory stays bounded), counted like a full queue',
  async () => {
    const root = tempDir();
    const server = await startTestServer({ 'storage.params.rootDir': root, maxQueueBytes: 200_000 });
    const storage = storageOf(server);
    const body = 'p=' + 'x'.repeat(60_000); // a 60 KB form body, as a hostile POST sends
    try {
      for (let i = 0; i < 50; i++)
        server.collector.context.dispatcher.track(
          new PixelHit([`n=${i}`, body], Date.now(), '127.0.0.1', undefined, undefined, null, i),
        );
      let c = storage.counters();
      assert.equal(c.received, 50);
      assert.equal(c.dropped, 47, 'three 60 KB hits fit in 200 000 bytes, offered faster than any thread answers');
      assert.equal(c.received, c.written + c.queued + c.dropped + c.failed);
      await storage.barrier();
      // Written: the room is back, the bytes of the done batches were released.
      for (let i = 50; i < 53; i++)
        server.collector.context.dispatcher.track(
          new PixelHit([`n=${i}`, body], Date.now(), '127.0.0.1', undefined, undefined, null, i),
        );
      await storage.barrier();
      c = storage.counters();
      assert.deepEqual(
        { queued: c.queued, written: c.written, dropped: c.dropped, failed: c.failed },
        { queued: 0, written: 6, dropped: 47, failed: 0 },
      );
    } finally {
      await server.stop();
    }
    assert.deepEqual(
      readAllRows(root).map((r) => r.event_params?.slice(0, 5)),
      ['n=0&p', 'n=1&p', 'n=2&p', 'n=50&', 'n=51&', 'n=52&'],
    );
    removeDir(root);
  },
);

/** Ends the storage thread as a crash would. */
function killThread(storage: StorageThread): Promise<number> {
  return (storage as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
}

/** Waits (bounded) until the thread started after a crash has opened its engine. */
async function newThreadReady(storage: StorageThread): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!storage.ready()) {
    if (Date.now() > deadline) assert.fail('no new storage thread within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test(
  'storage thread: if it dies, a new one takes over, recovers the ' + 'open file and logs through the request thread',
  async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const root = tempDir();
    const server = await startTestServer({ 'storage.params.rootDir': root, flushInterval: 0.05 }, { logger });
    try {
      const storage = storageOf(server);
      for (let i = 0; i < 5; i++) await hit(server, `before=${i}`);
      await storage.barrier();
      await new Promise((r) => setTimeout(r, 300)); // a few flushIntervals: the lines are in the open `_` file
      await killThread(storage);
      await newThreadReady(storage);
      for (let i = 0; i < 3; i++) await hit(server, `after=${i}`);
      await storage.barrier();
      const c = storage.counters();
      // Nothing was waiting in the thread when it died: nothing lost, nothing failed.
      assert.deepEqual(
        { received: c.received, written: c.written, queued: c.queued, dropped: c.dropped, failed: c.failed },
        { received: 8, written: 8, queued: 0, dropped: 0, failed: 0 },
      );
      assert.ok(
        lines.some((l) => l.includes('the storage thread exited')),
        'the crash is logged',
      );
      // Logged by the engine on the new thread, relayed to this logger.
      const recovered = lines
        .map((l) => JSON.parse(l) as { msg: string; engine?: string; lines?: number })
        .find((l) => l.msg === 'recovered a file left by a crashed writer');
      assert.ok(recovered, 'the recovery is logged through the request thread logger');
      assert.equal(recovered.engine, 'fs');
      assert.equal(recovered.lines, 5);
    } finally {
      await server.stop();
    }
    // The dead thread's open file, recovered by the new one, plus the new one's file: every hit once.
    const params = readAllRows(root)
      .map((r) => r.event_params)
      .sort();
    assert.deepEqual(params, [
      'after=0',
      'after=1',
      'after=2',
      'before=0',
      'before=1',
      'before=2',
      'before=3',
      'before=4',
    ]);
    removeDir(root);
  },
);

test(
  'storage thread: hits offered while a dead thread is being replaced ' +
    'are written by the new one once its engine is open',
  async () => {
    const root = tempDir();
    const server = await startTestServer(
      { 'storage.params.rootDir': root, flushInterval: 0.05 },
      { logger: pino({ level: 'silent' }) },
    );
    try {
      const storage = storageOf(server);
      for (let i = 0; i < 3; i++) await hit(server, `before=${i}`);
      await storage.barrier();
      await new Promise((r) => setTimeout(r, 300)); // flushed: the new thread's open recovers them
      await killThread(storage);
      // No thread for the next second: these wait in the batch, then go to the new thread after its open.
      for (let i = 0; i < 3; i++) await hit(server, `during=${i}`);
      assert.equal(storage.ready(), false, 'sent while no thread was running');
      await newThreadReady(storage);
      for (let i = 0; i < 3; i++) await hit(server, `after=${i}`);
      await storage.barrier();
      const c = storage.counters();
      assert.deepEqual(
        { received: c.received, written: c.written, queued: c.queued, dropped: c.dropped, failed: c.failed },
        { received: 9, written: 9, queued: 0, dropped: 0, failed: 0 },
      );
    } finally {
      await server.stop();
    }
    const params = readAllRows(root)
      .map((r) => r.event_params)
      .sort();
    assert.deepEqual(params, [
      'after=0',
      'after=1',
      'after=2',
      'before=0',
      'before=1',
      'before=2',
      'during=0',
      'during=1',
      'during=2',
    ]);
    removeDir(root);
  },
);

test(
  'storage thread: if it dies during close, close fails (it ' + 'does not hang) and the counters still add up',
  async () => {
    const logger = pino({ level: 'silent' });
    const root = tempDir();
    const server = await startTestServer({ 'storage.params.rootDir': root }, { logger });
    const storage = storageOf(server);
    for (let i = 0; i < 3; i++) await hit(server, `n=${i}`);
    // The thread is ending when close is asked: the close message is never handled.
    void killThread(storage);
    const outcome = await Promise.race([
      storage.close().then(
        () => 'closed',
        (error: Error) => error.message,
      ),
      new Promise<string>((r) => setTimeout(() => r('still waiting after 10 s'), 10_000).unref()),
    ]);
    assert.match(outcome, /the storage thread exited/);
    const c = storage.counters();
    assert.equal(c.received, 3);
    assert.equal(c.queued, 0);
    assert.equal(c.received, c.written + c.queued + c.dropped + c.failed);
    await server.stop().catch(() => {}); // the HTTP side; the engine has failed already
    removeDir(root);
  },
);
test('storage thread: an engine that cannot open fails the start with a clear error, and nothing hangs', async () => {
  const root = tempDir();
  const notADir = path.join(root, 'file');
  writeFileSync(notADir, 'x');
  await assert.rejects(startTestServer({ 'storage.params.rootDir': notADir }), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'WT1_ERR_STORAGE_IO');
    assert.match(error.message, /cannot start/);
    return true;
  });
  removeDir(root);
});

test('storageThread=false runs the engine on the request thread and writes the same lines', async () => {
  const rowsOf = async (keys: Record<string, string>): Promise<Array<Record<string, string | null>>> => {
    let rows: Array<Record<string, string | null>> = [];
    const server = await startTestServer(keys);
    try {
      const processor = server.collector.context.dispatcher.processors.find((p) => p.kind === 'storage')!;
      assert.equal(processor.engine instanceof StorageThread, keys.storageThread !== 'false');
      await hit(server, '__wt1ty=page&__wt1vic=v&__wt1sic=s&__wt1bw=1280&q=a+b&e=%E2%82%AC');
    } finally {
      await server.stop();
      rows = readAllRows(server.root).map(({ server_ts: _ts, ...rest }) => rest);
      assert.equal(publishedFiles(server.root).length, 1);
      removeDir(server.root);
    }
    return rows;
  };
  const onThread = await rowsOf({});
  const inline = await rowsOf({ storageThread: 'false' });
  assert.equal(onThread.length, 1);
  assert.deepEqual(inline, onThread);
});
