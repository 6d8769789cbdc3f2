import { createWriteStream, type WriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import { constants as zc, createGzip, type Gzip, type ZlibOptions } from 'node:zlib';

/** Lines are handed to gzip in chunks of this size: one zlib call per ~100 events, not per event. */
const CHUNK_BYTES = 64 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * zlib level 3: on log lines with real visitor ids, files ~7% larger than level 6 (WT1's, Java's
 * default) for less than half the CPU (1.15 against 2.4 µs a line here: npm run bench:storage).
 */
export const DEFAULT_GZIP_LEVEL = 3;

export interface ClosedLogFile {
  readonly path: string;
  readonly lines: number;
  readonly inputBytes: number;
  readonly gzippedBytes: number;
  readonly openedAt: number;
}

/**
 * One gzip log file being written: header first, then lines. `syncFlush` makes everything written
 * so far readable by a gunzip of the file as it is (a zlib sync flush), which bounds what a crash
 * loses. Writes respect backpressure: `write` returns a promise only when gzip is behind.
 */
export class GzipLogFile {
  private readonly gzip: Gzip;
  private readonly out: WriteStream;
  private lineCount = 0;
  private input = 0;
  private gzipped = 0;
  private failure: Error | undefined;

  /**
   * `handle`: the file already opened by the caller, so that a failed open is known before any line
   * is taken; without one the stream opens `path` itself and an open error shows on the next write.
   */
  constructor(
    readonly path: string,
    header: string,
    readonly openedAt: number,
    level = DEFAULT_GZIP_LEVEL,
    private readonly handle?: FileHandle,
    /** `ackMode=durable`: `finish` syncs the file to disk before closing it. */
    durable = false,
  ) {
    // A deep input buffer: gzip compresses on the thread pool while the queue keeps formatting
    // lines; the queue waits only when gzip is a megabyte behind (the default 16 KiB would make
    // every 64 KiB chunk wait).
    this.gzip = createGzip({ level, highWaterMark: 1024 * 1024 } as ZlibOptions);
    this.out = createWriteStream(path, handle ? { fd: handle, flush: durable } : { flags: 'wx', flush: durable });
    this.gzip.on('data', (chunk: Buffer) => {
      this.gzipped += chunk.length;
    });
    this.gzip.pipe(this.out);
    // A failure on either side ends both (a pipe does neither): finish() waits for the file's
    // 'close', and a write waiting for gzip must not wait for a 'drain' that cannot come.
    this.gzip.on('error', (e: Error) => {
      this.failure ??= e;
      this.out.destroy();
      this.releaseWriters();
    });
    this.out.on('error', (e: Error) => {
      this.failure ??= e;
      this.gzip.destroy();
      this.releaseWriters();
    });
    this.gzip.on('drain', this.releaseWriters);
    this.gzip.on('close', this.releaseWriters);
    this.append(header);
  }

  /** Uncompressed bytes written so far, header included. */
  get inputBytes(): number {
    return this.input;
  }
  get lines(): number {
    return this.lineCount;
  }
  /** Compressed bytes produced so far. */
  get gzippedBytes(): number {
    return this.gzipped;
  }

  write(line: string): void | Promise<void> {
    if (this.failure) throw this.failure;
    this.lineCount++;
    return this.append(line);
  }

  /**
   * Lines are encoded straight into a 64 KiB buffer handed to gzip when full: one UTF-8 encoding
   * per line, no array of strings to join, the byte count for free.
   */
  private append(text: string): void | Promise<void> {
    const room = this.chunk.length - this.used;
    // A UTF-16 unit takes at most 3 UTF-8 bytes: most lines are known to fit without measuring.
    if (text.length * 3 > room) {
      const bytes = Buffer.byteLength(text);
      if (bytes > room) {
        const waiting = this.push();
        if (bytes > this.chunk.length) {
          // Larger than a whole chunk (a huge hit): handed to gzip on its own.
          this.input += bytes;
          const ok = this.gzip.write(Buffer.from(text, 'utf8'));
          return ok ? waiting : Promise.resolve(waiting).then(() => this.waitDrain());
        }
        this.used += this.chunk.write(text, this.used, 'utf8');
        this.input += bytes;
        return waiting;
      }
    }
    const written = this.chunk.write(text, this.used, 'utf8');
    this.used += written;
    this.input += written;
    if (this.used >= this.chunk.length - 64) return this.push();
  }

  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;

  private push(): void | Promise<void> {
    if (this.used === 0) return;
    const full = this.chunk.subarray(0, this.used);
    // gzip keeps the buffer until it has compressed it: the next lines go to a fresh one.
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    if (!this.gzip.write(full)) return this.waitDrain();
  }

  /**
   * Waits until gzip takes input again. Not on 'drain' alone (issue 15 §1): a stream that is ending
   * (a rotation, a flush or close finishing this file) or destroyed (a failed file) never emits it,
   * so the write waiting for it, and the queue behind, would wait forever. Writers are released on
   * 'drain', when the file starts finishing (its lines are in gzip: the finish writes them), and on
   * any failure or close. Resolves at once when gzip is not behind (any more).
   */
  private async waitDrain(): Promise<void> {
    if (this.gzip.writableNeedDrain && !this.ending && !this.gzip.destroyed) {
      await new Promise<void>((resolve) => this.writers.push(resolve));
    }
    if (this.failure) throw this.failure;
  }
  private writers: Array<() => void> = [];
  private ending = false;
  private readonly releaseWriters = (): void => {
    if (this.writers.length === 0) return;
    const writers = this.writers;
    this.writers = [];
    for (const resolve of writers) resolve();
  };

  /**
   * Lines known to be in the file (up to the last successful `syncFlush`, or all once `finish`ed):
   * when the file fails, those are recovered at the next start and the others are lost.
   */
  get durableLines(): number {
    return this.durable;
  }
  private durable = 0;

  /** Whether lines were written since the last `syncFlush` (an idle file needs no flush). */
  get dirty(): boolean {
    return this.input !== this.flushedInput;
  }
  private flushedInput = 0;

  /**
   * Everything written so far becomes readable from the file (complete lines, valid gzip prefix):
   * a zlib sync flush, then a wait until the compressed bytes have been handed to the file.
   */
  async syncFlush(): Promise<void> {
    if (this.failure) throw this.failure;
    // A file that is finishing is made durable by its finish.
    if (this.ending) return;
    const input = this.input;
    const lines = this.lineCount;
    await this.push();
    if (this.ending || this.gzip.destroyed) return;
    await this.untilGzipCloses((done) => this.gzip.flush(zc.Z_SYNC_FLUSH, done));
    // The flushed block travels gzip -> pipe -> WriteStream: let the pipe hand it over, then an
    // empty write's callback tells when every earlier write has reached the file.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (!this.out.destroyed && !this.out.writableEnded) {
      // A failed earlier write reaches this callback before the stream's 'error' event: take it here,
      // or the flush would pass for one that put nothing on disk.
      await new Promise<void>((resolve) =>
        this.out.write(EMPTY, (error) => {
          if (error) this.failure ??= error;
          resolve();
        }),
      );
    }
    this.failure ??= this.out.errored ?? this.gzip.errored ?? undefined;
    if (this.failure) throw this.failure;
    this.flushedInput = input;
    this.durable = lines;
  }

  /**
   * `ackMode=durable`: everything written so far is on disk when this resolves (sync flush, then
   * fdatasync of the file). Lines written while it runs may or may not be included.
   */
  async sync(): Promise<void> {
    await this.syncFlush();
    if (this.handle === undefined) throw new Error('sync needs the file handle');
    try {
      await this.handle.datasync();
    } catch (error) {
      this.failure ??= error as Error;
      throw error;
    }
  }

  /** The first write or stream error, if any: the file can take no more lines. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Ends the gzip stream and waits until the file is complete on disk. */
  async finish(): Promise<ClosedLogFile> {
    if (this.failure) {
      this.destroy();
      throw this.failure;
    }
    const closed = once(this.out, 'close');
    this.ending = true;
    this.pushAtEnd();
    this.gzip.end();
    this.releaseWriters();
    await closed;
    if (this.failure) throw this.failure;
    this.durable = this.lineCount;
    return {
      path: this.path,
      lines: this.lineCount,
      inputBytes: this.input,
      gzippedBytes: this.gzipped,
      openedAt: this.openedAt,
    };
  }

  /** Stops writing without completing the file (used when the file itself failed). */
  destroy(): void {
    this.ending = true;
    this.gzip.destroy();
    this.out.destroy();
    this.releaseWriters();
  }

  /** The last partial chunk, handed to gzip whatever its backlog: end() follows at once. */
  private pushAtEnd(): void {
    if (this.used === 0) return;
    this.gzip.write(this.chunk.subarray(0, this.used));
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
  }

  /** Resolves when `start` calls back, or when gzip closes (destroyed, failed, or done) first. */
  private untilGzipCloses(start: (done: () => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.gzip.closed) return resolve();
      const done = (): void => {
        this.gzip.off('close', done);
        resolve();
      };
      this.gzip.on('close', done);
      start(done);
    });
  }
}
