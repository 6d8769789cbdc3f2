import { FileCursor } from './file-cursor.js';
import { MinHeap } from './min-heap.js';
import type { LogFileRef } from './source.js';

/**
 * A file is named when it is published, after its last event, so every event in it is older than
 * the name's second + 1. wt1 names files in UTC, but the original WT1 used the server's local time
 * zone (UTC-12 to UTC+14): a file is skipped by name only when it is older than this margin.
 */
export const NAME_TIME_MARGIN_MS = 15 * 3600_000 + 1000;

/** What the first pass learns of a file: its header and the server_ts of its first line. */
export interface FileStart {
  readonly ref: LogFileRef;
  readonly header: string;
  readonly firstKey: string;
  /** Position in the sorted list: breaks ties between equal times, so the output is deterministic. */
  order: number;
}

export interface MergeReport {
  /** Called for each file that could not be read (whole or in part); the merge goes on. */
  problem(file: string, message: string): void;
  /** Called as files are finished (read, skipped or failed). */
  progress?(filesDone: number, filesTotal: number): void;
}

export interface MergeStats {
  files: number;
  unreadableFiles: number;
  lines: number;
  /** Lines that came out earlier than a line already written (a clock stepped back by more than a chunk). */
  outOfOrderLines: number;
}

/**
 * First pass: opens every file just long enough to read its header and first line (a few at a time),
 * closes it, and returns the readable, non-empty files in the order of their first line. Files
 * whose name says they end before `fromKey` are not opened at all.
 */
export async function scanFileStarts(
  refs: readonly LogFileRef[],
  report: MergeReport,
  stats: MergeStats,
  options: { fromMs?: number; concurrency?: number } = {},
): Promise<FileStart[]> {
  const starts: FileStart[] = [];
  // Header and first time are kept for every file until the merge: kept as fresh strings (a slice
  // would hold on to the whole decompressed chunk it came from), each distinct header once.
  const headers = new Map<string, string>();
  const own = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < refs.length) {
      const ref = refs[next++];
      if (
        options.fromMs !== undefined &&
        ref.nameTime !== undefined &&
        ref.nameTime + NAME_TIME_MARGIN_MS <= options.fromMs
      ) {
        report.progress?.(++done, refs.length * 2);
        continue;
      }
      const cursor = new FileCursor(ref);
      if (await cursor.open()) {
        if (cursor.head !== undefined) {
          let header = headers.get(cursor.header!);
          if (header === undefined) headers.set((header = own(cursor.header!)), header);
          starts.push({ ref, header, firstKey: own(cursor.headKey), order: 0 });
        } else if (cursor.problem) {
          // A header and then damage (truncated inside the first line): nothing to merge, but said.
          stats.unreadableFiles++;
          report.problem(ref.name, `${cursor.problem} (after 0 lines)`);
        }
        cursor.close();
      } else if (cursor.problem || !ref.beingWritten) {
        stats.unreadableFiles++;
        report.problem(ref.name, cursor.problem ?? 'unreadable');
      }
      report.progress?.(++done, refs.length * 2);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  starts.sort((a, b) =>
    a.firstKey < b.firstKey ? -1 : a.firstKey > b.firstKey ? 1 : a.ref.name < b.ref.name ? -1 : 1,
  );
  starts.forEach((s, i) => {
    s.order = i;
  });
  return starts;
}

interface Open {
  readonly cursor: FileCursor;
  readonly start: FileStart;
}

/**
 * Second pass, the k-way merge: a file is opened only when the merge reaches the time of its first
 * line, and closed at its end, so the files open at once are the ones whose times overlap (about
 * one per instance), whatever their total number. `emit` gets each line (with its file's header)
 * in server_ts order; a promise it returns is awaited (output backpressure).
 * Stops early once every remaining line is at or after `toKey`.
 */
export async function mergeFiles(
  starts: readonly FileStart[],
  emit: (line: string, key: string, header: string, file: string) => void | Promise<void>,
  report: MergeReport,
  stats: MergeStats,
  options: { toKey?: string; filesTotal?: number } = {},
): Promise<void> {
  const heap = new MinHeap<Open>(
    (a, b) =>
      a.cursor.headKey < b.cursor.headKey || (a.cursor.headKey === b.cursor.headKey && a.start.order < b.start.order),
  );
  const total = options.filesTotal ?? starts.length;
  let done = total - starts.length;
  let waiting = 0;
  let lastKey = '';
  const finished = (open: Open): void => {
    if (open.cursor.problem) {
      stats.unreadableFiles++;
      report.problem(open.start.ref.name, `${open.cursor.problem} (after ${open.cursor.lines} lines)`);
    }
    report.progress?.(total + ++done, total * 2);
  };
  try {
    for (;;) {
      // Open every file whose first line is due before the smallest line in hand.
      while (waiting < starts.length && (heap.size === 0 || starts[waiting].firstKey <= heap.peek()!.cursor.headKey)) {
        const start = starts[waiting++];
        if (options.toKey !== undefined && start.firstKey >= options.toKey) {
          waiting = starts.length;
          break;
        }
        const open = { cursor: new FileCursor(start.ref), start };
        await open.cursor.open();
        if (open.cursor.head !== undefined) heap.push(open);
        else finished(open);
      }
      const top = heap.pop();
      if (!top) break;
      const key = top.cursor.headKey;
      if (options.toKey !== undefined && key >= options.toKey) {
        top.cursor.close();
        break;
      }
      if (key < lastKey) stats.outOfOrderLines++;
      else lastKey = key;
      stats.lines++;
      const pending = emit(top.cursor.head!, key, top.start.header, top.start.ref.name);
      if (pending) await pending;
      await top.cursor.advance();
      if (top.cursor.head !== undefined) heap.push(top);
      else finished(top);
    }
  } finally {
    for (let open = heap.pop(); open; open = heap.pop()) open.cursor.close();
  }
}
