import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { RotatingLog, type RotationOptions } from '../../src/storage/rotating-log.js';
import { silentLogger } from '../../src/log.js';
import { sampleEvent } from '../helpers/events.js';
import { removeDir, tempDir } from '../helpers/server.js';

test('rotating log: the lines of a file whose publishing failed stay counted in savedEvents (the totals never go backwards)', async () => {
  const dir = tempDir();
  let publishes = 0;
  const log = new RotatingLog({
    workDir: dir,
    columns: { globalVisitorId: false, inlinedVisitorParams: [], inlinedSessionParams: [], inlinedEventParams: [] },
    newFileTriggerSize: 1 << 20,
    newFileTriggerInterval: 0,
    gzipLevel: 3,
    flushInterval: 1,
    now: Date.now,
    logger: silentLogger(),
    publish: async () => {
      publishes++;
      throw new Error('the disk is gone');
    },
  });
  try {
    for (let i = 0; i < 3; i++) await log.write(sampleEvent({ visitorId: `v${i}` }));
    assert.equal(log.stats().savedEvents, 3, 'counted while open');
    await assert.rejects(log.rotate(), /the disk is gone/);
    assert.equal(publishes, 1);
    assert.equal(log.stats().savedEvents, 3, 'still counted once the file is given up');
    assert.equal(log.stats().createdFiles, 0);
  } finally {
    await log.close();
    removeDir(dir);
  }
});

test('rotating log: an hour folder removed under it (a clean-up job) is created again, and the next file loses no event', async () => {
  const dir = tempDir();
  const published: string[] = [];
  const options: RotationOptions = {
    workDir: dir,
    columns: { globalVisitorId: false, inlinedVisitorParams: [], inlinedSessionParams: [], inlinedEventParams: [] },
    newFileTriggerSize: 1 << 20,
    newFileTriggerInterval: 0,
    gzipLevel: 3,
    flushInterval: 1,
    now: Date.now,
    logger: silentLogger(),
    publish: async (file) => {
      published.push(file.path); // left where it is: the test reads it there
      return file.path;
    },
  };
  const log = new RotatingLog(options);
  try {
    await log.write(sampleEvent({ visitorId: 'before' }));
    await log.rotate();
    rmSync(path.join(dir, 'tracker'), { recursive: true });
    for (let i = 0; i < 5; i++) await log.write(sampleEvent({ visitorId: `after${i}` }));
    assert.equal(await log.rotate(), published[1]);
    const lines = gunzipSync(readFileSync(published[1])).toString('utf8').trim().split('\n').slice(1);
    assert.deepEqual(lines.map((l) => l.split('\t')[3]), ['after0', 'after1', 'after2', 'after3', 'after4']);
    assert.equal(log.stats().savedEvents, 6);
  } finally {
    await log.close();
    removeDir(dir);
  }
});
