import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createFolder, makeDir } from '../../src/util/make-dir.js';
import { removeDir, tempDir } from '../helpers/server.js';

test('makeDir: creates every missing parent, and a folder that exists is fine', async () => {
  const dir = tempDir();
  try {
    const deep = path.join(dir, 'a', 'b', 'c');
    await makeDir(deep);
    assert.ok(statSync(deep).isDirectory());
    await makeDir(deep);
    await Promise.all([1, 2, 3].map(() => makeDir(path.join(dir, 'x', 'y')))); // racing creators
    assert.ok(statSync(path.join(dir, 'x', 'y')).isDirectory());
  } finally {
    removeDir(dir);
  }
});

test('makeDir: a file in the way is an error', async () => {
  const dir = tempDir();
  try {
    writeFileSync(path.join(dir, 'f'), '');
    await assert.rejects(makeDir(path.join(dir, 'f')), { code: 'EEXIST' });
    await assert.rejects(makeDir(path.join(dir, 'f', 'g')), { code: 'ENOTDIR' });
  } finally {
    removeDir(dir);
  }
});

test("makeDir (issue 15 §4): under /proc it fails (Node's recursive mkdir loops there forever)", async () => {
  const under = `/proc/wt1-${randomBytes(4).toString('hex')}/data/tracker`;
  await assert.rejects(makeDir(under), { code: 'ENOENT' });
  await assert.rejects(createFolder(under, 'storage.params.rootDir'), (error: Error) => {
    assert.equal(error.message, `storage.params.rootDir: cannot create the folder ${under} (ENOENT)`);
    return true;
  });
});
