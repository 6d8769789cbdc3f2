import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { RotatingLog } from '../../src/storage/rotating-log.js';
import { sampleEvent } from '../helpers/events.js';
import { testRotationOptions as options } from '../helpers/rotation-options.js';
import { removeDir, tempDir } from '../helpers/server.js';

/**
 * Issue 15 §1: a write waiting for gzip's `drain` while a rotation (size, time, flush, close) ends
 * the stream must still complete: an ending stream never emits `drain`. A wedge shows as a promise
 * that never settles; `settles` turns it into a failure naming the step instead of a hung test.
 */
const HANG_MS = 20_000;

async function settles<T>(what: string, promise: Promise<T> | T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`wedged: ${what} did not complete within ${HANG_MS / 1000} s`)), HANG_MS);
  });
  try {
    return await Promise.race([Promise.resolve(promise), hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every line of the published files (header skipped), as [visitor id, line length]. */
function linesOf(files: readonly string[]): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const file of files) {
    const text = gunzipSync(readFileSync(file)).toString('utf8');
    for (const line of text.split('\n').slice(1, -1)) out.push([line.split('\t')[3], line.length]);
  }
  return out;
}

/** The line: a pixel body of 65 000 `\xff` bytes, each one written as `%EF%BF%BD` (585 K characters). */
const HUGE_PARAMS = 'x=' + '%EF%BF%BD'.repeat(65_000);

test(
  'rotating log (issue 15 §1): two 585 K-character lines with the default 1 ' +
    'MiB trigger, then a small one: every write completes',
  async () => {
    const dir = tempDir();
    const published: string[] = [];
    const log = new RotatingLog(options(dir, published));
    try {
      await settles('the first huge write', log.write(sampleEvent({ visitorId: 'huge1', eventParams: HUGE_PARAMS })));
      await settles(
        'the second huge write (it waits for drain and starts a rotation)',
        log.write(sampleEvent({ visitorId: 'huge2', eventParams: HUGE_PARAMS })),
      );
      await settles('the probe', log.write(sampleEvent({ visitorId: 'probe' })));
      await settles('the flush', log.rotate());
      await settles('close', log.close());
      assert.deepEqual(
        linesOf(published).map(([id]) => id),
        ['huge1', 'huge2', 'probe'],
      );
    } finally {
      removeDir(dir);
    }
  },
);

test(
  'rotating log (issue 15 §1): a time rotation and a flush that ' + 'end the file while a write waits for drain',
  async () => {
    const dir = tempDir();
    const published: string[] = [];
    let now = Date.UTC(2026, 10, 27, 6, 0, 0);
    // No size trigger: the file is ended by the clock (on the next write) and by a flush.
    const log = new RotatingLog(
      options(dir, published, { newFileTriggerSize: 1 << 30, newFileTriggerInterval: 60, now: () => now }),
    );
    try {
      await settles('the first huge write', log.write(sampleEvent({ visitorId: 'a', eventParams: HUGE_PARAMS })));
      const waiting = log.write(sampleEvent({ visitorId: 'b', eventParams: HUGE_PARAMS }));
      assert.ok(waiting instanceof Promise, 'the second write waits for gzip (else this test proves nothing)');
      const flushed = log.rotate(); // a POST /internal/flush arriving while the write waits
      await settles('the write a flush ended the file under', waiting);
      await settles('the flush', flushed);
      await settles('a write', log.write(sampleEvent({ visitorId: 'c', eventParams: HUGE_PARAMS })));
      const waiting2 = log.write(sampleEvent({ visitorId: 'd', eventParams: HUGE_PARAMS }));
      now += 61_000;
      // The next write finds the file too old and rotates it while `d` may still wait for drain.
      await settles('the write before the time rotation', waiting2);
      await settles('the write that rotates on time', log.write(sampleEvent({ visitorId: 'e' })));
      await settles('close', log.close());
      assert.deepEqual(
        linesOf(published).map(([id]) => id),
        ['a', 'b', 'c', 'd', 'e'],
      );
    } finally {
      removeDir(dir);
    }
  },
);

type Step = { kind: 'write'; size: number } | { kind: 'flush'; wait: boolean } | { kind: 'time'; seconds: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      size: fc.oneof(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 60_000, max: 70_000 }),
        fc.integer({ min: 300_000, max: 1_300_000 }),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flush' as const), wait: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('time' as const), seconds: fc.integer({ min: 0, max: 120 }) }),
  },
);

test(
  'rotating log (issue 15 §1, property): any mix of line sizes, size and time ' +
    'rotations, flushes and close completes, with every line in the files once',
  async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 14 }),
        fc.integer({ min: 1, max: 3 << 20 }),
        fc.constantFrom(0, 30),
        fc.boolean(),
        async (steps, triggerSize, interval, closeWhileWriting) => {
          const dir = tempDir();
          const published: string[] = [];
          let now = Date.UTC(2026, 10, 27, 6, 0, 0);
          // flushInterval 0.01: the periodic tick (sync flush, time rotation) runs among the writes too.
          const log = new RotatingLog(
            options(dir, published, {
              newFileTriggerSize: triggerSize,
              newFileTriggerInterval: interval,
              flushInterval: 0.01,
              now: () => now,
            }),
          );
          log.start();
          const expected: Array<[string, number]> = [];
          const background: Array<Promise<unknown>> = [];
          try {
            let n = 0;
            let last: Promise<void> | undefined;
            for (const s of steps) {
              if (s.kind === 'write') {
                // As the queue does: the next write only once the previous one's promise settled.
                await settles(`write ${n - 1}`, last);
                const id = `e${n++}`;
                const event = sampleEvent({ visitorId: id, eventParams: 'p=' + 'x'.repeat(s.size) });
                last = log.write(event) ?? undefined;
                expected.push([id, -1]);
              } else if (s.kind === 'flush') {
                const flushing = log.rotate();
                if (s.wait) await settles('a flush', flushing);
                else background.push(flushing);
              } else {
                now += s.seconds * 1000;
              }
            }
            if (!closeWhileWriting) await settles('the last write', last);
            const closed = log.close();
            await settles('the last write (close called meanwhile)', last);
            await settles('close', closed);
            await settles('the flushes', Promise.all(background));
            assert.deepEqual(
              linesOf(published).map(([id]) => id),
              expected.map(([id]) => id),
            );
          } finally {
            await log.close();
            removeDir(dir);
          }
        },
      ),
      { numRuns: 40 },
    );
  },
);
