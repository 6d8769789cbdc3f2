import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, removeDir } from '../helpers/server.js';
import { readAllRows } from '../helpers/files.js';
import { TRANSPARENT_GIF } from '../../src/server/gif.js';

test('a pixel hit answers the GIF with the WT1 headers and lands in the log file', async () => {
  const server = await startTestServer();
  try {
    const res = await fetch(`${server.url}/public/p.gif?__wt1ty=page&__wt1vic=visitor1&__wt1sic=session1&__wt1ts=1700000000123&color=dark+blue&__wt1bw=1280&__wt1lang=fr`, {
      headers: { Referer: 'https://site.example/page?x=1', 'User-Agent': 'TestAgent/1.0' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/gif');
    assert.equal(res.headers.get('cache-control'), 'private, no-cache, no-cache=Set-Cookie, proxy-revalidate');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), TRANSPARENT_GIF);
  } finally {
    await server.stop();
  }
  const rows = readAllRows(server.root);
  assert.equal(rows.length, 1);
  const row = rows[0];
  assert.equal(row.client_ts, '2023-11-14T22:13:20.123');
  assert.equal(row.client_addr, '127.0.0.1');
  assert.equal(row.visitor_id, 'visitor1');
  assert.equal(row.session_id, 'session1');
  assert.equal(row.location, 'https://site.example/page?x=1');
  assert.equal(row['user-agent'], 'TestAgent/1.0');
  assert.equal(row.type, 'page');
  assert.equal(row.event_params, 'color=dark+blue');
  assert.equal(row.br_width, '1280');
  assert.equal(row.br_height, '0');
  assert.equal(row.br_lang, 'fr');
  removeDir(server.root);
});
