import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { RotatingLog } from '../../src/storage/rotating-log.js';
import { GzipLogFile } from '../../src/storage/gzip-log-file.js';
import { silentLogger } from '../../src/log.js';
import { sampleEvent } from '../helpers/events.js';
import { testRotationOptions as options } from '../helpers/rotation-options.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { hourFolder } from '../../src/logfile/naming.js';

/** The visitor ids of a log file's lines. */
function visitorIds(file: string): string[] {
  return gunzipSync(readFileSync(file))
    .toString('utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t')[3]);
}

test(
  'rotating log: the lines of a file whose publishing failed stay ' +
    'counted in savedEvents (the totals never go backwards)',
  async () => {
    const dir = tempDir();
    let publishes = 0;
    const log = new RotatingLog(
      options(dir, [], {
        publish: async () => {
          publishes++;
          throw new Error('the disk is gone');
        },
      }),
    );
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
  },
);

test(
  'rotating log: an hour folder removed under it (a clean-up job) is ' +
    'created again, and the next file loses no event',
  async () => {
    const dir = tempDir();
    const published: string[] = [];
    const log = new RotatingLog(options(dir, published));
    try {
      await log.write(sampleEvent({ visitorId: 'before' }));
      await log.rotate();
      rmSync(path.join(dir, 'tracker'), { recursive: true });
      for (let i = 0; i < 5; i++) await log.write(sampleEvent({ visitorId: `after${i}` }));
      assert.equal(await log.rotate(), published[1]);
      assert.deepEqual(visitorIds(published[1]), ['after0', 'after1', 'after2', 'after3', 'after4']);
      assert.equal(log.stats().savedEvents, 6);
    } finally {
      await log.close();
      removeDir(dir);
    }
  },
);

test('gzip log file: durableLines follows the last successful sync flush, and every line once finished', async () => {
  const dir = tempDir();
  try {
    const file = new GzipLogFile(path.join(dir, 'a.log.gz'), '#header\n', Date.now());
    await file.write('one\n');
    await file.write('two\n');
    assert.equal(file.durableLines, 0);
    await file.syncFlush();
    assert.equal(file.durableLines, 2);
    await file.write('three\n');
    assert.equal(file.durableLines, 2, 'a line after the flush is not on disk yet');
    await file.finish();
    assert.equal(file.durableLines, 3);
  } finally {
    removeDir(dir);
  }
});

test('gzip log file: a sync flush whose bytes could not be written (disk full) fails, every time', async () => {
  // The failed write reaches the flush before the stream's 'error' event: it must not pass for one.
  for (let i = 0; i < 20; i++) {
    const file = new GzipLogFile('/dev/full', '#header\n', Date.now(), 3, await open('/dev/full', 'w'));
    await file.write('one\n');
    await assert.rejects(file.syncFlush(), /ENOSPC/, `attempt ${i}`);
    assert.equal(file.durableLines, 0);
    file.destroy();
  }
});

/** A rotating log whose files all go to /dev/full (every write fails with ENOSPC) while `full`. */
class DiskFullLog extends RotatingLog {
  full = true;
  protected override openHandle(file: string, flags?: string): Promise<FileHandle> {
    return this.full ? open('/dev/full', 'w') : super.openHandle(file, flags);
  }
}

test(
  'rotating log: the lines a failed file (disk full) never got to ' + 'the disk are counted in lostEvents, and logged',
  async () => {
    const dir = tempDir();
    const logged: Array<Record<string, unknown>> = [];
    const published: string[] = [];
    const logger = silentLogger();
    logger.error = ((fields: Record<string, unknown>) => {
      logged.push(fields);
    }) as typeof logger.error;
    const log = new DiskFullLog(options(dir, published, { flushInterval: 0.01, logger }));
    try {
      for (let i = 0; i < 3; i++) await log.write(sampleEvent({ visitorId: `v${i}` }));
      assert.equal(log.stats().lostEvents, 0, 'nothing is known lost while the file is open');
      await assert.rejects(log.rotate(), /ENOSPC/);
      assert.equal(log.stats().savedEvents, 3);
      assert.equal(log.stats().lostEvents, 3);
      // The next file fails at its first periodic flush: the event that finds it failed is refused
      // (counted failed by the queue), the line it had is lost and logged.
      await log.write(sampleEvent({ visitorId: 'v3' }));
      log.start();
      for (let i = 0; logged.length === 0; i++) {
        assert.ok(i < 400, 'the periodic flush never failed');
        await sleep(5);
      }
      assert.throws(() => log.write(sampleEvent({ visitorId: 'v4' })), /ENOSPC/);
      assert.equal(log.stats().lostEvents, 4);
      assert.equal(logged.at(-1)?.lostEvents, 1);
      assert.equal(log.ready(), false, 'not ready while files cannot be written (/ready answers 503)');
      // Space is back: with no file open and no event coming, the periodic write check sees it.
      log.full = false;
      for (let i = 0; !log.ready(); i++) {
        assert.ok(i < 400, 'readiness never came back');
        await sleep(5);
      }
      await log.write(sampleEvent({ visitorId: 'v5' }));
      await log.rotate();
      assert.equal(published.length, 1, 'only the file written after the space came back is published');
      assert.deepEqual(visitorIds(published[0]), ['v5']);
    } finally {
      await log.close().catch(() => {});
      removeDir(dir);
    }
  },
);

/** A rotating log whose file opens fail (a folder not writable) while `refuse`, and that records its write checks. */
class RefusingLog extends RotatingLog {
  refuse = true;
  readonly checks: string[] = [];
  /** Called with each write check's path before it is opened (to plant something there). */
  beforeCheck: (file: string) => void = () => {};
  protected override openHandle(file: string, flags?: string | number): Promise<FileHandle> {
    if (path.basename(file).startsWith('.wt1-write-check.')) {
      this.checks.push(file);
      this.beforeCheck(file);
      return super.openHandle(file, flags);
    }
    if (this.refuse) return Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
    return super.openHandle(file, flags);
  }
}

test(
  'rotating log (issue 15 §4): the write check never follows a planted ' +
    'symlink, uses an unpredictable name, and leaves nothing behind',
  async () => {
    const dir = tempDir();
    const outside = tempDir();
    const target = path.join(outside, 'precious.txt');
    writeFileSync(target, 'precious');
    const now = Date.UTC(2026, 10, 27, 6, 5, 4);
    const hour = path.join(dir, hourFolder(now));
    mkdirSync(hour, { recursive: true });
    // The old fixed name, planted in advance as an attacker with access to the folder would.
    symlinkSync(target, path.join(hour, `.wt1-write-check.${process.pid}`));
    const log = new RefusingLog(options(dir, [], { flushInterval: 0.01, now: () => now }));
    // The first check finds a link planted at its very name (as if the name had been guessed).
    log.beforeCheck = (file) => {
      if (log.checks.length === 1) symlinkSync(target, file);
    };
    try {
      log.start();
      await assert.rejects(async () => log.write(sampleEvent()), /EACCES/);
      assert.equal(log.ready(), false);
      log.refuse = false;
      for (let i = 0; !log.ready(); i++) {
        assert.ok(i < 400, 'readiness never came back');
        await sleep(5);
      }
      assert.equal(readFileSync(target, 'utf8'), 'precious', 'the file outside the folder is untouched');
      assert.ok(log.checks.length >= 2, 'the check planted on failed, a later one passed');
      for (const check of log.checks) assert.match(path.basename(check), /^\.wt1-write-check\.\d+\.[0-9a-f]{16}$/);
      assert.equal(new Set(log.checks).size, log.checks.length, 'a new name at each check');
      assert.ok(lstatSync(log.checks[0]).isSymbolicLink(), 'the planted link is not replaced (O_EXCL)');
      const left = readdirSync(hour)
        .filter((n) => n.startsWith('.wt1-write-check.'))
        .sort();
      assert.deepEqual(
        left,
        [path.basename(log.checks[0]), `.wt1-write-check.${process.pid}`].sort(),
        'the checks it created are removed',
      );
    } finally {
      await log.close().catch(() => {});
      removeDir(dir);
      removeDir(outside);
    }
  },
);
