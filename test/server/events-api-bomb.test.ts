import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import path from 'node:path';
import { tempDir, removeDir } from '../helpers/server.js';
import { residentBytes, sampleResidentPeak, spawnWt1, stopWt1 } from '../helpers/process.js';
import { rawPost } from '../helpers/http.js';
import { readAllRows } from '../helpers/files.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** Gzips 1 GiB of zeros into `file` as a stream (one 1 MiB buffer reused): about 1 MB on disk. */
async function writeGzipBomb(file: string): Promise<void> {
  const zeros = Buffer.alloc(MIB);
  const chunks = function* (): Generator<Buffer> {
    for (let i = 0; i < GIB / MIB; i++) yield zeros;
  };
  await pipeline(Readable.from(chunks()), createGzip({ level: 9 }), createWriteStream(file));
}

test('a 1 GiB-of-zeros gzip bomb is refused with 413 while the server memory stays flat', async () => {
  const dir = tempDir();
  const bomb = path.join(dir, 'bomb.json.gz');
  await writeGzipBomb(bomb);
  const size = statSync(bomb).size;
  assert.ok(size < 2 * MIB, `the bomb should compress to about 1 MB, got ${size}`);

  // The compressed limit is raised past the bomb's size so that the gunzipped limit (default 10 MiB) is what refuses
  // it.
  const server = await spawnWt1([], {
    env: {
      WT1_API__MAX_BODY_SIZE: String(4 * MIB),
      WT1_STORAGE__PARAMS__ROOT_DIR: path.join(dir, 'data'),
      WT1_LOG_LEVEL: 'warn',
    },
  });
  try {
    const pid = server.child.pid!;
    const before = residentBytes(pid);
    const sampler = sampleResidentPeak(pid);
    const res = await rawPost(
      `${server.url}/public/events`,
      { 'Content-Type': 'application/gzip', 'Content-Length': String(size) },
      createReadStream(bomb),
    );
    const peak = sampler.stop();
    console.log(`server RSS ${Math.round(before / MIB)} MiB before, peak ${Math.round(peak / MIB)} MiB`);
    assert.equal(res.status, 413);
    assert.equal(res.headers['x-wt1-error'], 'WT1_ERR_BODY_TOO_LARGE');
    assert.equal(res.body, 'Request body too large: the gunzipped body is larger than the limit of 10485760 bytes');
    // Generous: the limit is 10 MiB; buffering the expansion would take over 1 GiB.
    assert.ok(
      peak - before < 150 * MIB,
      `server RSS grew by ${Math.round((peak - before) / MIB)} MiB (from ${Math.round(before / MIB)} MiB)`,
    );

    // still serving
    const ok = await fetch(`${server.url}/public/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"events":[{"type":"page"}]}',
    });
    assert.equal(ok.status, 200);
  } finally {
    assert.equal(await stopWt1(server), 0, server.output());
  }
  assert.equal(readAllRows(path.join(dir, 'data')).length, 1, 'only the valid message was written');
  removeDir(dir);
});
