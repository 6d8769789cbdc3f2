import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  mergeFiles,
  NAME_TIME_MARGIN_MS,
  scanFileStarts,
  type MergeReport,
  type MergeStats,
} from '../../src/reader/merge.js';
import { parseTimeArgument } from '../../src/reader/filters.js';
import { MinHeap } from '../../src/reader/min-heap.js';
import type { LogFileRef } from '../../src/reader/source.js';

const HEADER = '#server_ts\tvisitor_id\n';
const ts = (ms: number): string => new Date(ms).toISOString().slice(0, 23);

/** In-memory log files that count how many are open at once. */
function memoryFiles(contents: string[][]): { refs: LogFileRef[]; maxOpen: () => number; resetMax: () => void } {
  let open = 0;
  let maxOpen = 0;
  const refs = contents.map(
    (lines, i): LogFileRef => ({
      name: `mem-${i}`,
      nameTime: undefined,
      open: async () => {
        open++;
        maxOpen = Math.max(maxOpen, open);
        const stream = Readable.from([gzipSync(HEADER + lines.map((l) => l + '\n').join(''))]);
        stream.once('close', () => {
          open--;
        });
        return stream;
      },
    }),
  );
  return {
    refs,
    maxOpen: () => maxOpen,
    resetMax: () => {
      maxOpen = open;
    },
  };
}

async function mergeAll(
  refs: LogFileRef[],
  afterScan?: () => void,
): Promise<{ lines: string[]; stats: MergeStats; problems: string[] }> {
  const problems: string[] = [];
  const report: MergeReport = { problem: (file, message) => problems.push(`${file}: ${message}`) };
  const stats: MergeStats = { files: refs.length, unreadableFiles: 0, lines: 0, outOfOrderLines: 0 };
  const starts = await scanFileStarts(refs, report, stats);
  await new Promise((r) => setImmediate(r)); // the scanned streams report their close
  afterScan?.();
  const lines: string[] = [];
  await mergeFiles(
    starts,
    (line) => {
      lines.push(line);
    },
    report,
    stats,
  );
  return { lines, stats, problems };
}

test('files are opened only when the merge reaches them: 200 consecutive files, at most 2 open at once', async () => {
  const base = Date.UTC(2026, 10, 27);
  const contents = Array.from({ length: 200 }, (_, f) =>
    Array.from({ length: 5 }, (_, i) => `${ts(base + f * 10 + i)}\tv${f}`),
  );
  const { refs, maxOpen, resetMax } = memoryFiles([...contents].reverse());
  const { lines, stats } = await mergeAll(refs, resetMax);
  assert.deepEqual(lines, contents.flat());
  assert.equal(stats.outOfOrderLines, 0);
  assert.ok(maxOpen() <= 2, `files open at once during the merge: ${maxOpen()}`);
});

test('interleaved files merge line by line; a chunk out of order is sorted; later disorder is counted', async () => {
  const base = Date.UTC(2026, 10, 27);
  const a = [0, 2, 4, 6].map((d) => `${ts(base + d)}\ta`);
  const b = [1, 5, 3, 7].map((d) => `${ts(base + d)}\tb`); // 5 before 3: a writer's clock stepped back
  const { lines, stats } = await mergeAll(memoryFiles([a, b]).refs);
  assert.deepEqual(
    lines.map((l) => l.slice(20, 23)),
    ['000', '001', '002', '003', '004', '005', '006', '007'],
  );
  assert.equal(stats.outOfOrderLines, 0);
});

test('disorder beyond a chunk is not hidden: the line comes out late and is counted', async () => {
  const base = Date.UTC(2026, 10, 27);
  const long = Array.from({ length: 3000 }, (_, i) => `${ts(base + 100 + i)}\tlong-${'x'.repeat(20)}`);
  long.push(`${ts(base + 50)}\tstepped-back`);
  const { lines, stats } = await mergeAll(memoryFiles([long, [`${ts(base)}\tother`]]).refs);
  assert.equal(lines.length, 3002);
  // Sorted within its chunk, but written after the earlier chunks' later lines.
  assert.ok(lines.findIndex((l) => l.endsWith('stepped-back')) > 1000);
  assert.equal(stats.outOfOrderLines, 1);
});

test('the merge keeps at most the overlapping files open', async () => {
  const base = Date.UTC(2026, 10, 27);
  // three instances, each rotating 50 files in turn: at any time three files overlap
  const contents: string[][] = [];
  for (let f = 0; f < 50; f++)
    for (let inst = 0; inst < 3; inst++)
      contents.push([0, 3, 6].map((d) => `${ts(base + f * 10 + d + inst)}\ti${inst}`));
  const files = memoryFiles(contents);
  let open = 0;
  let maxDuringMerge = 0;
  const refs = files.refs.map((r) => ({
    ...r,
    open: async () => {
      const s = await r.open();
      open++;
      maxDuringMerge = Math.max(maxDuringMerge, open);
      s.once('close', () => {
        open--;
      });
      return s;
    },
  }));
  const report: MergeReport = { problem: () => {} };
  const stats: MergeStats = { files: refs.length, unreadableFiles: 0, lines: 0, outOfOrderLines: 0 };
  const starts = await scanFileStarts(refs, report, stats, { concurrency: 1 });
  maxDuringMerge = 0;
  const out: string[] = [];
  await mergeFiles(
    starts,
    (line) => {
      out.push(line);
    },
    report,
    stats,
  );
  assert.equal(out.length, 450);
  assert.deepEqual(out, [...out].sort());
  assert.ok(maxDuringMerge <= 4, `files open at once during the merge: ${maxDuringMerge}`);
});

test('time arguments: UTC by default, zones honoured, epoch milliseconds', () => {
  assert.equal(parseTimeArgument('2026-11-27'), '2026-11-27T00:00:00.000');
  assert.equal(parseTimeArgument('2026-11-27T06:05'), '2026-11-27T06:05:00.000');
  assert.equal(parseTimeArgument('2026-11-27 06:05:04.123'), '2026-11-27T06:05:04.123');
  assert.equal(parseTimeArgument('2026-11-27T06:05:04+01:00'), '2026-11-27T05:05:04.000');
  assert.equal(parseTimeArgument('2026-11-27T06:05:04-0130'), '2026-11-27T07:35:04.000');
  assert.equal(parseTimeArgument('1795760000000'), new Date(1795760000000).toISOString().slice(0, 23));
  assert.equal(parseTimeArgument('last-week'), undefined);
  assert.equal(parseTimeArgument('2026-13-45'), undefined);
});

test('the heap pops in order', () => {
  const heap = new MinHeap<number>((a, b) => a < b);
  const values = Array.from({ length: 500 }, (_, i) => (i * 7919) % 503);
  for (const v of values) heap.push(v);
  const out: number[] = [];
  for (let v = heap.pop(); v !== undefined; v = heap.pop()) out.push(v);
  assert.deepEqual(
    out,
    [...values].sort((x, y) => x - y),
  );
});

test('with a start time, files named (published) before it are not even opened', async () => {
  const base = Date.UTC(2026, 10, 27, 6);
  const opened: string[] = [];
  const ref = (name: string, nameTime: number, lines: string[]): LogFileRef => ({
    name,
    nameTime,
    open: async () => {
      opened.push(name);
      return Readable.from([gzipSync(HEADER + lines.map((l) => l + '\n').join(''))]);
    },
  });
  const refs = [
    ref('old', base + 60_000, [`${ts(base + 1000)}\told`]),
    // named in a local time 10 hours behind UTC by the original WT1: kept
    ref('local-time', base + 60_000, [`${ts(base + 10 * 3600_000 + 60_000)}\tlocal`]),
    ref('new', base + 16 * 3600_000, [`${ts(base + 15 * 3600_000)}\tnew`]),
  ];
  const stats: MergeStats = { files: 3, unreadableFiles: 0, lines: 0, outOfOrderLines: 0 };
  const fromMs = base + 60_000 + NAME_TIME_MARGIN_MS;
  assert.ok(fromMs > base + 15 * 3600_000);
  const starts = await scanFileStarts(refs, { problem: () => {} }, stats, { fromMs: fromMs - 1 });
  assert.deepEqual(starts.map((s) => s.ref.name).sort(), ['local-time', 'new', 'old']);
  opened.length = 0;
  const later = await scanFileStarts(refs, { problem: () => {} }, stats, { fromMs });
  assert.deepEqual(
    later.map((s) => s.ref.name),
    ['new'],
  );
  assert.deepEqual(opened, ['new']);
});
