import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort, runWt1 } from '../helpers/process.js';
import { removeDir, tempDir } from '../helpers/server.js';

/**
 * Issue 15 §4: a start that cannot create its folders ends with one clear error line (a stable code,
 * the key and the folder) and exit code 2. `rootDir` under /proc used to loop in mkdir forever at
 * 100 % CPU (runWt1 kills it after 30 s: the code would then be SIGKILL).
 */
for (const storageThread of [true, false]) {
  for (const [engine, key] of [
    ['fs', 'rootDir'],
    ['s3', 'tmpFolder'],
  ] as const) {
    test(
      `start (issue 15 §4), ${engine}, storageThread=${storageThread}: ` +
        `${key} under /proc ends with one error line and exit 2`,
      async () => {
        const dir = tempDir();
        try {
          const folder = `/proc/wt1-${randomBytes(4).toString('hex')}/data`;
          const config = path.join(dir, 'config.properties');
          const s3 = engine === 's3' ? 'storage.params.bucketName=b\nstorage.params.endpoint=http://127.0.0.1:9\n' : '';
          writeFileSync(
            config,
            `storage.class=${engine}\nstorage.params.${key}=${folder}\nstorageThread=${storageThread}\n${s3}`,
          );
          const { code, stdout, stderr } = await runWt1(
            ['serve', '--config', config, '--port', String(await freePort()), '--host', '127.0.0.1'],
            { cwd: dir },
          );
          assert.equal(code, 2, stderr);
          const lines = stderr.trim().split('\n');
          assert.equal(lines.length, 1, stderr);
          assert.match(lines[0], /\[WT1_ERR_STORAGE_IO\]$/);
          assert.ok(lines[0].includes(`storage.params.${key}: cannot create the folder ${folder}`), lines[0]);
          assert.doesNotMatch(stdout + stderr, /\n\s+at /, 'no stack trace');
        } finally {
          removeDir(dir);
        }
      },
    );
  }
}
