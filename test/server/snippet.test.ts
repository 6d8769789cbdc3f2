import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { startTestServer, removeDir } from '../helpers/server.js';
import { etagMatches, renderSnippet, SESSION_EXPIRATION_PLACEHOLDER } from '../../src/server/routes/snippet.js';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** node:http, not fetch: we want the bytes as sent (fetch would gunzip them). */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('/track.js serves the snippet as JavaScript with the collector sessionExpiration in it', async () => {
  const server = await startTestServer({ sessionExpiration: 977 });
  try {
    for (const path of ['/track.js', '/public/track.js', '/wt1/track.js']) {
      const res = await get(server.url + path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['content-type'], 'application/javascript; charset=utf-8');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['cache-control'], 'public, max-age=3600');
      assert.match(String(res.headers.etag), /^W\/"[0-9a-f]{16}"$/);
      assert.equal(res.headers['content-encoding'], undefined);
      const code = res.body.toString('utf8');
      assert.ok(code.includes('_wt1Q'));
      assert.ok(!code.includes(SESSION_EXPIRATION_PLACEHOLDER));
      assert.ok(code.includes('=977'), 'the session lifetime is in the script');
    }
  } finally {
    await server.stop();
    removeDir(server.root);
  }
});

test('/track.js: gzip when accepted, 304 on If-None-Match, a year of cache on the versioned URL', async () => {
  const server = await startTestServer();
  try {
    const plain = await get(`${server.url}/track.js`);
    const etag = String(plain.headers.etag);
    const version = etag.slice(3, -1);

    const gz = await get(`${server.url}/track.js`, { 'Accept-Encoding': 'br, gzip;q=0.8' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers.vary, 'Accept-Encoding');
    assert.deepEqual(gunzipSync(gz.body), plain.body);
    assert.ok(gz.body.length <= 2048, `served gzipped: ${gz.body.length} bytes`);
    const refused = await get(`${server.url}/track.js`, { 'Accept-Encoding': 'gzip;q=0' });
    assert.equal(refused.headers['content-encoding'], undefined);

    const revalidated = await get(`${server.url}/track.js`, { 'If-None-Match': etag });
    assert.equal(revalidated.status, 304);
    assert.equal(revalidated.body.length, 0);
    assert.equal(revalidated.headers.etag, etag);
    assert.equal((await get(`${server.url}/track.js`, { 'If-None-Match': '"other"' })).status, 200);

    const versioned = await get(`${server.url}/track.js?v=${version}`);
    assert.equal(versioned.headers['cache-control'], 'public, max-age=31536000, immutable');
    const stale = await get(`${server.url}/track.js?v=0000000000000000`);
    assert.equal(stale.headers['cache-control'], 'public, max-age=3600', 'an old version is not pinned for a year');

    const head = await get(`${server.url}/track.js`, {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    const post = await get(`${server.url}/track.js`, {}, 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers['x-wt1-error'], 'WT1_ERR_METHOD_NOT_ALLOWED');
  } finally {
    await server.stop();
    removeDir(server.root);
  }
});

test('renderSnippet and etagMatches', () => {
  const a = renderSnippet(`var s=${SESSION_EXPIRATION_PLACEHOLDER};`, 60);
  assert.equal(a.body.toString(), 'var s=60;');
  assert.notEqual(
    renderSnippet(`var s=${SESSION_EXPIRATION_PLACEHOLDER};`, 61).etag,
    a.etag,
    'the ETag follows the config',
  );
  assert.throws(() => renderSnippet('var s=1;', 60));
  assert.equal(etagMatches(`"x", ${a.etag}`, a.etag), true);
  assert.equal(etagMatches(`"${a.version}"`, a.etag), true, 'weak comparison');
  assert.equal(etagMatches('*', a.etag), true);
  assert.equal(etagMatches('"nope"', a.etag), false);
  assert.equal(etagMatches(undefined, a.etag), false);
});
