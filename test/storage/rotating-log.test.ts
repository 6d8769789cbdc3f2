import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RotatingLog } from '../../src/storage/rotating-log.js';
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
