import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Wt1Error } from '../../src/errors.js';
import { startTestServer, removeDir, tempDir } from '../helpers/server.js';
import { publishedFiles, readAllRows } from '../helpers/files.js';
import { pixelHit } from '../helpers/pixel-hit.js';

// The fs engine's params at start. Rotation: fs-rotation.test.ts; names: fs-names.test.ts; files
// left by a crash: recovery.test.ts.

test('a rootDir that cannot be created stops the start with WT1_ERR_STORAGE_IO', async () => {
  const dir = tempDir();
  const blocker = path.join(dir, 'file');
  writeFileSync(blocker, '');
  await assert.rejects(startTestServer({ 'storage.params.rootDir': path.join(blocker, 'data') }), (e: unknown) => {
    assert.ok(e instanceof Wt1Error);
    assert.equal(e.code, 'WT1_ERR_STORAGE_IO');
    assert.match(
      e.message,
      new RegExp(
        String.raw`the fs storage engine cannot start: storage\.params\.rootDir: ` +
          String.raw`cannot create the folder .*file\/data\/tracker \(ENOTDIR\)`,
      ),
    );
    return true;
  });
  removeDir(dir);
});

test(
  'gzipLevel reaches zlib (the gzip header says fastest / default / best), ' + 'and bad levels stop the start',
  async () => {
    // Byte 8 of a gzip member (XFL) is zlib's note of its level: 4 for level 1, 2 for level 9, 0 between.
    const xflOf = async (keys: Record<string, string | number>): Promise<number[]> => {
      const server = await startTestServer(keys);
      try {
        await pixelHit(server.url, '__wt1ty=page&__wt1vic=v1');
      } finally {
        await server.stop();
      }
      const files = publishedFiles(server.root);
      assert.equal(readAllRows(server.root).length, 1);
      const flags = files.map((f) => readFileSync(f)[8]);
      removeDir(server.root);
      return flags;
    };
    assert.deepEqual(await xflOf({ 'storage.params.gzipLevel': 1 }), [4]);
    assert.deepEqual(await xflOf({}), [0]); // the default, 3
    assert.deepEqual(await xflOf({ 'storage.params.gzipLevel': '9' }), [2]);
    for (const bad of ['0', '10', 'fast', '3.5']) {
      await assert.rejects(startTestServer({ 'storage.params.gzipLevel': bad }), (e: unknown) => {
        assert.ok(e instanceof Wt1Error, String(e));
        assert.match(e.message, new RegExp(`storage\\.params\\.gzipLevel: "${bad.replace('.', '\\.')}"`));
        return true;
      });
    }
  },
);
