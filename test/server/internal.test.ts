import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, removeDir } from '../helpers/server.js';
import { publishedFiles, readAllRows } from '../helpers/files.js';

interface Live {
  receivedEvents: number;
  savedEvents: number;
  createdFiles: number;
  savedEventsInputSize: number;
  savedEventsGZippedSize: number;
  processors: Record<
    string,
    {
      kind: string;
      received: number;
      queued: number;
      written: number;
      dropped: number;
      failed: number;
      capacity: number;
      queuedEvents: number;
      lostInQueueEvents: number;
      processedEvents: number;
      processFailedEvents: number;
      engine: string;
      stats: Record<string, number>;
    }
  >;
  lastEvents: Array<{ visitorId: string; serverTime: string; clientTime: string; eventParams: string }>;
}

test('/internal/live: every counter and the last 100 events, newest first', async () => {
  const server = await startTestServer({ maxQueueSize: 1000 });
  try {
    for (let i = 0; i < 120; i++) await (await fetch(`${server.url}/public/p.gif?__wt1vic=v${i}&n=${i}`)).arrayBuffer();
    await server.collector.context.dispatcher.drain();
    const res = await fetch(`${server.url}/internal/live`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/json/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const live = (await res.json()) as Live;
    assert.equal(live.receivedEvents, 120);
    assert.equal(live.savedEvents, 120);
    assert.equal(live.createdFiles, 0, 'the open file is not published yet');
    assert.ok(live.savedEventsInputSize > 0);
    assert.equal(typeof live.savedEventsGZippedSize, 'number');
    const storage = live.processors.storage;
    assert.equal(storage.kind, 'storage');
    assert.equal(storage.engine, 'fs');
    assert.deepEqual(
      [storage.received, storage.written, storage.queued, storage.dropped, storage.failed, storage.capacity],
      [120, 120, 0, 0, 0, 1000],
    );
    assert.deepEqual(
      [storage.queuedEvents, storage.lostInQueueEvents, storage.processedEvents, storage.processFailedEvents],
      [0, 0, 120, 0],
    );
    assert.equal(live.lastEvents.length, 100);
    assert.deepEqual(
      live.lastEvents.slice(0, 3).map((e) => e.visitorId),
      ['v119', 'v118', 'v117'],
    );
    assert.equal(live.lastEvents[99].visitorId, 'v20');
    assert.match(live.lastEvents[0].serverTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
    assert.equal(live.lastEvents[0].eventParams, 'n=119');
  } finally {
    await server.stop();
    removeDir(server.root);
  }
});

test('/internal/flush (POST) publishes the open file with every event received before it', async () => {
  const server = await startTestServer();
  try {
    for (let i = 0; i < 5; i++) await (await fetch(`${server.url}/public/p.gif?__wt1vic=f${i}`)).arrayBuffer();
    assert.deepEqual(publishedFiles(server.root), []);
    let res = await fetch(`${server.url}/internal/flush`);
    assert.equal(res.status, 405, 'GET is refused');
    await res.text();
    res = await fetch(`${server.url}/internal/flush`, { method: 'POST' });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { flushed: boolean; published: string[] };
    assert.equal(body.flushed, true);
    assert.equal(body.published.length, 1);
    assert.deepEqual(publishedFiles(server.root), body.published);
    assert.deepEqual(
      readAllRows(server.root).map((r) => r.visitor_id),
      ['f0', 'f1', 'f2', 'f3', 'f4'],
    );
    // Nothing new: nothing published (empty files never are).
    res = await fetch(`${server.url}/internal/flush`, { method: 'POST' });
    assert.deepEqual(((await res.json()) as { published: string[] }).published, []);
    const live = (await (await fetch(`${server.url}/internal/live`)).json()) as Live;
    assert.equal(live.createdFiles, 1);
  } finally {
    await server.stop();
  }
  assert.equal(publishedFiles(server.root).length, 1);
  removeDir(server.root);
});

test('admin protection without a token: loopback only, and a relayed request is refused', async () => {
  // With the default trustedProxies a loopback peer is a trusted proxy, so its XFF names the client.
  const server = await startTestServer();
  const none = await startTestServer({ trustedProxies: 'none' });
  try {
    assert.equal((await fetch(`${server.url}/internal/live`)).status, 200);
    for (const s of [server, none]) {
      for (const headers of <Array<Record<string, string>>>[
        { 'X-Forwarded-For': '203.0.113.9' },
        { 'X-Forwarded-For': '203.0.113.9, 127.0.0.1' },
        { 'X-Real-IP': '10.1.2.3' },
        { Forwarded: 'for=198.51.100.4;proto=https' },
      ]) {
        const res = await fetch(`${s.url}/internal/live`, { headers });
        assert.equal(res.status, 403, `${JSON.stringify(headers)} trustedProxies=${s === none ? 'none' : 'default'}`);
        assert.equal(res.headers.get('x-wt1-error'), 'WT1_ERR_FORBIDDEN');
        await res.text();
        const flush = await fetch(`${s.url}/internal/flush`, { method: 'POST', headers });
        assert.equal(flush.status, 403);
        await flush.text();
        const other = await fetch(`${s.url}/internal/whatever`, { headers });
        assert.equal(other.status, 403, 'no probing of internal paths');
        await other.text();
      }
    }
    // Issue 15 §2: any forwarding header means a proxy relayed the request, whoever it names.
    const local = await fetch(`${server.url}/internal/live`, { headers: { 'X-Forwarded-For': '127.0.0.1' } });
    assert.equal(local.status, 403, 'a request relayed by a loopback proxy is not a direct local one');
    await local.text();
    const missing = await fetch(`${server.url}/internal/whatever`);
    assert.equal(missing.status, 404);
    await missing.text();
  } finally {
    await server.stop();
    await none.stop();
    removeDir(server.root);
    removeDir(none.root);
  }
});

test('admin protection with adminToken: Bearer token required (401), even from loopback', async () => {
  const server = await startTestServer({ adminToken: 's3cret-token' });
  try {
    for (const auth of [undefined, 'Bearer wrong', 'Basic czNjcmV0LXRva2Vu', 'Bearer ', 's3cret-token']) {
      const res = await fetch(`${server.url}/internal/live`, { headers: auth ? { Authorization: auth } : {} });
      assert.equal(res.status, 401, String(auth));
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="wt1"');
      assert.equal(res.headers.get('x-wt1-error'), 'WT1_ERR_UNAUTHORIZED');
      await res.text();
    }
    const ok = await fetch(`${server.url}/internal/live`, {
      headers: { Authorization: 'Bearer s3cret-token', 'X-Forwarded-For': '203.0.113.9' },
    });
    assert.equal(ok.status, 200, 'the token lets a remote operator in');
    await ok.json();
    for (const scheme of ['bearer', 'BEARER']) {
      const anyCase = await fetch(`${server.url}/internal/live`, {
        headers: { Authorization: `${scheme} s3cret-token` },
      });
      assert.equal(anyCase.status, 200, `the scheme name is case-insensitive: ${scheme}`);
      await anyCase.json();
    }
    const flush = await fetch(`${server.url}/internal/flush`, {
      method: 'POST',
      headers: { Authorization: 'Bearer s3cret-token' },
    });
    assert.equal(flush.status, 200);
    await flush.json();
  } finally {
    await server.stop();
    removeDir(server.root);
  }
});
