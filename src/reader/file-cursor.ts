import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, type Gunzip } from 'node:zlib';
import type { LogFileRef } from './source.js';

/**
 * Reads one gzip log file line by line, holding one decompressed chunk at a time: the header
 * first, then `head` is the current line and `headKey` its server_ts (the first field, a fixed-width
 * UTC time, so plain string order is time order). Each chunk's lines are checked for order and
 * sorted when a writer's clock stepped back within it. Only complete lines (ending with a newline)
 * are returned; a torn tail or a gzip error is kept in `problem` after the good lines were read.
 * A file being written (`beingWritten`) always has a torn tail: there it only ends the reading.
 */
export class FileCursor {
  header: string | undefined;
  head: string | undefined;
  headKey = '';
  /** Why the file could not be read to its end, if so (after the lines that could be read). */
  problem: string | undefined;
  lines = 0;

  private input: Readable | undefined;
  private gunzip: Gunzip | undefined;
  private iterator: AsyncIterator<Buffer> | undefined;
  private readonly decoder = new StringDecoder('utf8');
  private batch: string[] = [];
  private index = 0;
  private rest = '';
  private ended = false;

  constructor(readonly file: LogFileRef) {}

  /** Opens the file and reads its header and first line. False when it could not be opened at all. */
  async open(): Promise<boolean> {
    try {
      this.input = await this.file.open();
    } catch (error) {
      this.problem = (error as Error).message;
      this.ended = true;
      return false;
    }
    this.gunzip = createGunzip();
    this.input.on('error', (e) => this.gunzip?.destroy(e));
    this.input.pipe(this.gunzip);
    this.iterator = this.gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const first = await this.nextRaw();
    if (first === undefined || !first.startsWith('#')) {
      // A file just opened by its writer may hold no complete line yet: nothing to read, no problem.
      if (!(first === undefined && this.file.beingWritten))
        this.problem ??= first === undefined ? 'empty file' : 'no header line';
      this.close();
      return false;
    }
    this.header = first;
    await this.advance();
    return true;
  }

  /** Moves to the next line; `head` becomes undefined at the end of the file. */
  async advance(): Promise<void> {
    const line = await this.nextRaw();
    this.head = line;
    if (line === undefined) {
      this.close();
      return;
    }
    this.lines++;
    const tab = line.indexOf('\t');
    this.headKey = tab === -1 ? line : line.slice(0, tab);
  }

  close(): void {
    this.ended = true;
    this.iterator = undefined;
    this.input?.destroy();
    this.gunzip?.destroy();
  }

  private async nextRaw(): Promise<string | undefined> {
    while (this.index >= this.batch.length) {
      if (this.ended) return undefined;
      await this.readChunk();
    }
    return this.batch[this.index++];
  }

  private async readChunk(): Promise<void> {
    this.batch = [];
    this.index = 0;
    let next: IteratorResult<Buffer>;
    try {
      next = await this.iterator!.next();
    } catch (error) {
      this.ended = true;
      // The writer's stream has no end yet: the lines before it are all there is so far.
      if (this.file.beingWritten && (error as NodeJS.ErrnoException).code === 'Z_BUF_ERROR') return;
      this.problem = describe(error);
      return;
    }
    if (next.done) {
      this.ended = true;
      const tail = this.rest + this.decoder.end();
      if (tail !== '' && !this.file.beingWritten)
        this.problem = `the last line is incomplete (${tail.length} characters ignored)`;
      this.rest = '';
      return;
    }
    const text = this.rest + this.decoder.write(next.value);
    const lastNewline = text.lastIndexOf('\n');
    if (lastNewline === -1) {
      this.rest = text;
      return;
    }
    this.rest = text.slice(lastNewline + 1);
    const lines = text.slice(0, lastNewline).split('\n');
    // The first chunk starts with the header, which is not part of the time order.
    this.batch = this.header === undefined ? [lines[0], ...sortedByKey(lines.slice(1))] : sortedByKey(lines);
  }
}

/** The lines of one chunk in server_ts order (a stable sort, only when they are not in order). */
function sortedByKey(lines: string[]): string[] {
  let previous = '';
  let sorted = true;
  for (const line of lines) {
    const key = keyOf(line);
    if (key < previous) {
      sorted = false;
      break;
    }
    previous = key;
  }
  if (sorted) return lines;
  return lines
    .map((line, i) => ({ line, key: keyOf(line), i }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i))
    .map((x) => x.line);
}

function keyOf(line: string): string {
  const tab = line.indexOf('\t');
  return tab === -1 ? line : line.slice(0, tab);
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'Z_BUF_ERROR') return 'the gzip data is truncated';
  if (e.code === 'Z_DATA_ERROR') return `the gzip data is corrupt (${e.message})`;
  return e.message ?? String(error);
}
