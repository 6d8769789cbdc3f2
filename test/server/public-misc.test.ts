import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startTestServer, removeDir, tempDir } from '../helpers/server.js';
import { publishedFiles } from '../helpers/files.js';
import { TRANSPARENT_GIF } from '../../src/server/gif.js';

test('/public/nothing answers the GIF with the pixel headers and tracks nothing', async () => {
  const server = await startTestServer();
  try {
    const res = await fetch(`${server.url}/public/nothing?__wt1vic=x`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/gif');
    assert.equal(res.headers.get('cache-control'), 'private, no-cache, no-cache=Set-Cookie, proxy-revalidate');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), TRANSPARENT_GIF);
    assert.equal(server.collector.context.dispatcher.received, 0);
  } finally {
    await server.stop();
  }
  assert.deepEqual(publishedFiles(server.root), []);
  removeDir(server.root);
});

test('/isAlive: 200 "Server is alive", 503 while the maintenanceFile exists', async () => {
  const dir = tempDir();
  const maintenance = path.join(dir, 'maintenance');
  const server = await startTestServer({ maintenanceFile: maintenance });
  try {
    let res = await fetch(`${server.url}/isAlive`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'Server is alive\r\n', "the original's exact bytes");
    writeFileSync(maintenance, '');
    res = await fetch(`${server.url}/isAlive`);
    assert.equal(res.status, 503);
    await res.text();
    rmSync(maintenance);
    res = await fetch(`${server.url}/isAlive`);
    assert.equal(res.status, 200);
    await res.text();
  } finally {
    await server.stop();
    removeDir(server.root);
    removeDir(dir);
  }
});

test('an unknown path is 404 with an error code', async () => {
  const server = await startTestServer();
  try {
    const res = await fetch(`${server.url}/nope`);
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('x-wt1-error'), 'WT1_ERR_NOT_FOUND');
    await res.text();
  } finally {
    await server.stop();
    removeDir(server.root);
  }
});
