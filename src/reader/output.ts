import type { Writable } from 'node:stream';
import { unescapeField } from '../logfile/line-format.js';
import { forEachPair } from '../event/query-string.js';
import { filterColumns, keepFields, needsFields, type FilterColumns, type LineFilter } from './filters.js';

export type OutputFormat = 'tsv' | 'jsonl';

export interface FormatOptions {
  /** JSON lines: the params columns as objects (default) rather than their raw query strings. */
  readonly decodeParams?: boolean;
}

/** Columns holding a number (or null): JSON numbers in `--format jsonl`. */
const NUMBER_COLUMNS = new Set(['br_width', 'br_height', 'sc_width', 'sc_height', 'tz_off']);
/** Columns holding a URL-encoded query string: JSON objects in `--format jsonl` (unless raw). */
const PARAMS_COLUMNS = new Set(['visitor_params', 'session_params', 'event_params']);
const NUMBER = /^-?\d+(?:\.\d+)?$/;

/**
 * A query string as an object: each name once, decoded; a name given several times has the
 * array of its values.
 */
export function decodeParams(qs: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  forEachPair(qs, (key, value) => {
    const seen = out[key];
    if (seen === undefined) out[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[key] = [seen, value];
  });
  return out;
}

/**
 * The output columns when files have different headers (wt1 instances with different
 * inlined params or thirdPartyCookies): every column of every file, in the order first seen, the
 * files taken in time order. A line lacking a column gets an empty field (TSV) or null (JSON).
 */
export function unionColumns(headers: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const header of headers) {
    for (const column of headerColumns(header))
      if (!seen.has(column)) {
        seen.add(column);
        out.push(column);
      }
  }
  return out;
}

/** The column names of a header line (`#` then tab-separated names). */
function headerColumns(header: string): string[] {
  return header.replace(/^#/, '').split('\t');
}

interface HeaderPlan {
  readonly columns: readonly string[];
  /** Same columns as the output, in the same order: TSV lines are copied as they are. */
  readonly identity: boolean;
  /** Output position of each of the file's columns. */
  readonly positions: readonly number[];
  readonly filterAt: FilterColumns;
}

/** Turns merged lines into TSV or JSON lines, applying the filters. */
export class LineFormatter {
  private readonly plans = new Map<string, HeaderPlan>();
  private readonly fieldsNeeded: boolean;
  /** Per file, the lines whose number of fields differs from its header, or with a quoted column unquoted (skipped). */
  readonly malformedByFile = new Map<string, number>();

  constructor(
    readonly columns: readonly string[],
    readonly format: OutputFormat,
    private readonly filter: LineFilter,
    private readonly options: FormatOptions = {},
  ) {
    this.fieldsNeeded = needsFields(filter) || format === 'jsonl';
  }

  /**
   * The first output line: the TSV header (`#` then the column names, as in the log files), or nothing for JSON lines.
   */
  header(): string {
    return this.format === 'tsv' ? '#' + this.columns.join('\t') + '\n' : '';
  }

  /** Lines skipped as malformed, all files together. */
  get malformedLines(): number {
    let n = 0;
    for (const count of this.malformedByFile.values()) n += count;
    return n;
  }

  /** The output for one line of `file` (with its newline), or '' when filtered out or malformed. */
  render(line: string, key: string, header: string, file = ''): string {
    const filter = this.filter;
    // `toKey` is mergeFiles' (it stops at the first line there); `fromKey` is applied here.
    if (filter.fromKey !== undefined && key < filter.fromKey) return '';
    const plan = this.plans.get(header) ?? this.plan(header);
    // Copied as it is, but only with the header's number of fields, like every other path.
    if (!this.fieldsNeeded && plan.identity)
      return fieldCount(line) === plan.columns.length ? line + '\n' : this.malformed(file);
    const fields = line.split('\t');
    if (fields.length !== plan.columns.length) return this.malformed(file);
    try {
      if (!keepFields(filter, fields, plan.filterAt)) return '';
      if (this.format === 'tsv') {
        if (plan.identity) return line + '\n';
        const out = new Array<string>(this.columns.length).fill('');
        plan.positions.forEach((p, i) => {
          out[p] = fields[i];
        });
        return out.join('\t') + '\n';
      }
      const quoted = plan.filterAt.quoted;
      const row: Record<string, unknown> = {};
      for (const column of this.columns) row[column] = null;
      plan.positions.forEach((p, i) => {
        row[this.columns[p]] = this.jsonValue(this.columns[p], unescapeField(fields[i], quoted[i]), quoted[i]);
      });
      return JSON.stringify(row) + '\n';
    } catch {
      // A quoted column's field without its quotes: not a line wt1 wrote.
      return this.malformed(file);
    }
  }

  /**
   * One field in JSON: missing is null (`null`, or `"null"` in a quoted column, as the original WT1
   * wrote a missing value), sizes and time zone offset are numbers, params objects.
   */
  private jsonValue(column: string, value: string | null, isQuoted: boolean): unknown {
    if (value === null || (isQuoted && value === 'null')) return null;
    if (NUMBER_COLUMNS.has(column)) return NUMBER.test(value) ? Number(value) : value;
    if (PARAMS_COLUMNS.has(column) && this.options.decodeParams !== false) return decodeParams(value);
    return value;
  }

  private malformed(file: string): '' {
    this.malformedByFile.set(file, (this.malformedByFile.get(file) ?? 0) + 1);
    return '';
  }

  private plan(header: string): HeaderPlan {
    const columns = headerColumns(header);
    const positions = columns.map((c) => this.columns.indexOf(c));
    const identity = columns.length === this.columns.length && positions.every((p, i) => p === i);
    const plan = { columns, identity, positions, filterAt: filterColumns(columns) };
    this.plans.set(header, plan);
    return plan;
  }
}

/** Tab-separated fields of a line, counted without splitting it. */
function fieldCount(line: string): number {
  let n = 1;
  for (let i = line.indexOf('\t'); i !== -1; i = line.indexOf('\t', i + 1)) n++;
  return n;
}

/** Thrown by OutputSink.write once the reader of the output went away (`wt1 cat ... | head`). */
export class OutputClosed extends Error {}

/** Buffers output into 64 KiB writes and waits for `drain` when the stream is behind. */
export class OutputSink {
  private parts: string[] = [];
  private size = 0;
  private closed = false;

  constructor(private readonly out: Writable) {
    // EPIPE (the reader of a pipe went away) or any other write error: stop writing.
    out.on('error', () => {
      this.closed = true;
    });
  }

  write(text: string): void | Promise<void> {
    if (this.closed) throw new OutputClosed();
    if (text === '') return;
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= 65_536) return this.flush();
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (this.closed) throw new OutputClosed();
    if (!this.out.write(chunk)) await this.drained();
  }

  /** Until the stream drains or closes; removes its listeners either way (this runs once per 64 KiB). */
  private drained(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.out.off('drain', done);
        this.out.off('close', done);
        resolve();
      };
      this.out.on('drain', done);
      this.out.on('close', done);
    });
  }
}
