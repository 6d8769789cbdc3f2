import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { removeDir, startTestServer, waitForReceived } from '../helpers/server.js';
import { capLiveValue, LIVE_VALUE_BYTES } from '../../src/server/live-cap.js';
import type { LiveSnapshot } from '../../src/server/live-types.js';

test("/internal/live serves the original WT1 keys with their meanings beside wt1's own (issue 15 §6)", async () => {
  const server = await startTestServer({ 'handler.c.class': 'counter' });
  try {
    const before = Date.now();
    const hit = await fetch(
      `${server.url}/public/p.gif?__wt1ty=page&__wt1vic=v1&__wt1sc=s1&__wt1ts=1700000000000&__wt1bw=800` +
        `&__wt1bh=600&__wt1sw=1920&__wt1sh=1080&color=blue`,
    );
    await hit.arrayBuffer();
    await waitForReceived(server, 1);
    await fetch(`${server.url}/internal/flush`, { method: 'POST' }).then((r) => r.text());
    const doc = (await (await fetch(`${server.url}/internal/live`)).json()) as LiveSnapshot;
    assert.equal(doc.lastRequests.length, 1);
    const r = doc.lastRequests[0];
    assert.deepEqual(Object.keys(r), [
      'origAddress',
      'visitorId',
      'sessionId',
      'globalVisitorId',
      'browserWidth',
      'browserHeight',
      'screenWidth',
      'screenHeight',
      'type',
      'serverTS',
      'clientTS',
      'eventParams',
    ]);
    assert.equal(r.origAddress, '127.0.0.1');
    assert.equal(r.visitorId, 'v1');
    assert.equal(r.type, 'page');
    assert.deepEqual([r.browserWidth, r.browserHeight, r.screenWidth, r.screenHeight], [800, 600, 1920, 1080]);
    assert.equal(r.eventParams, 'color=blue');
    assert.equal(r.clientTS, 1700000000000, 'epoch ms');
    assert.ok(typeof r.serverTS === 'number' && r.serverTS >= before && r.serverTS <= Date.now(), 'epoch ms');
    const s = doc.stats;
    assert.deepEqual(Object.keys(s), [
      'receivedEvents',
      'savedEvents',
      'createdFiles',
      'savedEventsInputSize',
      'savedEventsGZippedSize',
      'storage',
      'handlers',
    ]);
    assert.equal(s.receivedEvents, 1);
    assert.equal(s.savedEvents, 1);
    assert.equal(s.createdFiles, 1);
    assert.ok(s.savedEventsInputSize > 0 && s.savedEventsGZippedSize > 0);
    assert.deepEqual(s.storage, {
      name: 'fs',
      queuedEvents: 0,
      lostInQueueEvents: 0,
      processedEvents: 1,
      processFailedEvents: 0,
    });
    assert.equal(s.handlers.length, 1);
    assert.equal(s.handlers[0].name, 'c');
    assert.equal(doc.lastEvents.length, 1, "wt1's own keys stay");
    assert.equal(doc.receivedEvents, 1);
  } finally {
    await server.stop();
    removeDir(server.root);
  }
});

test(
  '/internal/live caps each value shown (issue 15 §4): one large ' + 'API request no longer makes every poll megabytes',
  async () => {
    const server = await startTestServer();
    try {
      // The audit's 809-byte gzip body: 100 events sharing six 65,536-character message fields.
      const big = 'x'.repeat(65_536);
      const events = Array.from({ length: 100 }, () => ({ type: 'e' }));
      const body = gzipSync(
        JSON.stringify({
          visitorId: big,
          sessionId: big,
          ua: big,
          vparams: big,
          sparams: big,
          clientLang: big,
          events,
        }),
        { level: 9 },
      );
      const res = await fetch(`${server.url}/public/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/gzip' },
        body,
      });
      assert.equal(res.status, 200, await res.text());
      await waitForReceived(server, 100);
      const text = await (await fetch(`${server.url}/internal/live`)).text();
      const doc = JSON.parse(text) as {
        lastEvents: Array<Record<string, unknown>>;
        lastRequests: Array<Record<string, unknown>>;
      };
      assert.equal(doc.lastEvents.length, 100);
      assert.equal(doc.lastEvents[0].ua, `${'x'.repeat(LIVE_VALUE_BYTES)}… [65536 characters in all]`);
      assert.match(String(doc.lastRequests[0].visitorId), /… \[65536 characters in all\]$/);
      // Uncapped this document was 39 MB; each string value now takes at most LIVE_VALUE_BYTES + its note.
      assert.ok(text.length < 3_000_000, `the snapshot is ${text.length} bytes`);
      console.log(`/internal/live after the 100 x 65 KB request: ${text.length} bytes`);
    } finally {
      await server.stop();
      removeDir(server.root);
    }
  },
);

test('capLiveValue: the JSON encoding of the kept part fits LIVE_VALUE_BYTES, never splitting a surrogate pair', () => {
  assert.equal(capLiveValue('short'), 'short');
  const fits = 'a'.repeat(LIVE_VALUE_BYTES);
  assert.equal(capLiveValue(fits), fits);
  for (const unit of ['a', 'é', '€', '😀', '\u0001', '"', '\udc00']) {
    const value = unit.repeat(5000);
    const capped = capLiveValue(value);
    const kept = capped.slice(0, capped.lastIndexOf('…'));
    const bytes = Buffer.byteLength(JSON.stringify(kept)) - 2;
    assert.ok(
      bytes <= LIVE_VALUE_BYTES && bytes > LIVE_VALUE_BYTES - 12,
      `${JSON.stringify(unit)}: ${bytes} bytes kept`,
    );
    assert.ok(capped.endsWith(`… [${value.length} characters in all]`));
    assert.equal(kept.length % unit.length, 0, 'whole characters only');
  }
});
