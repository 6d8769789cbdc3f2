import type { Logger } from 'pino';
import type { SpoolFile } from './spool.js';
import { FailureStreak } from './failure-streak.js';
import { backoffDelay } from '../util/backoff.js';

export interface UploadLoopOptions {
  /** Uploads one file; resolves with its key, throws when the store cannot be reached or refuses. */
  readonly upload: (file: SpoolFile, signal: AbortSignal) => Promise<string>;
  /** A file is done with (uploaded, or its spool file disappeared): release it from the spool. */
  readonly release: (file: SpoolFile) => Promise<void> | void;
  /** Seconds one upload may take before it is abandoned and retried. */
  readonly requestTimeout: number;
  /** Seconds before the first retry after a failure, doubling up to `retryMaxDelay`. */
  readonly retryMinDelay: number;
  readonly retryMaxDelay: number;
  readonly logger: Logger;
  /** Files waiting in the spool, for the failure log line. */
  readonly spoolFiles: () => number;
  /** The clock (ms), for the failure log's rate limit. */
  readonly now: () => number;
}

/**
 * The upload retry loop of the object-storage engines: uploads the spooled files one at a time, in
 * order; after a failure, waits (backoff with jitter) and goes on, another file first, so that one
 * file the store refuses does not block the others. A flush (`uploadNow`) and the shutdown
 * (`finish`) cut the wait short.
 */
export class UploadLoop {
  /** Files waiting for their upload, in upload order. */
  private readonly pending: SpoolFile[] = [];
  private readonly byPath = new Map<string, SpoolFile>();
  private readonly attemptWaiters = new Map<SpoolFile, Array<(key: string | undefined) => void>>();
  private loop: Promise<void> | undefined;
  private running = false;
  private wakeUp: (() => void) | undefined;
  private readonly failures = new FailureStreak();
  private closing = false;
  private readonly shutdown = new AbortController();
  readonly counters = { uploadedFiles: 0, uploadedEvents: 0, uploadedBytes: 0, uploadFailures: 0, lostFiles: 0 };

  constructor(private readonly options: UploadLoopOptions) {}

  /** Files not uploaded yet. */
  get size(): number {
    return this.pending.length;
  }

  /** Adds a spooled file; `start` (default) schedules its upload. */
  add(file: SpoolFile, start = true): void {
    this.pending.push(file);
    this.byPath.set(file.path, file);
    if (start) this.kick();
  }

  /** The file spooled at `path`, while it waits for its upload. */
  get(path: string): SpoolFile | undefined {
    return this.byPath.get(path);
  }

  /** Starts uploading (after files were added without starting). */
  start(): void {
    this.kick();
  }

  /**
   * Uploads this file next, now (not after the backoff of earlier failures); resolves with its key, or undefined if
   * that attempt failed.
   */
  uploadNow(file: SpoolFile): Promise<string | undefined> {
    const at = this.pending.indexOf(file);
    if (at > 0) {
      this.pending.splice(at, 1);
      this.pending.unshift(file);
    }
    const outcome = new Promise<string | undefined>((resolve) => {
      const waiters = this.attemptWaiters.get(file) ?? [];
      waiters.push(resolve);
      this.attemptWaiters.set(file, waiters);
    });
    this.kick(true);
    return outcome;
  }

  /** Tries each pending upload once, within `budgetMs`; what remains stays in the spool. */
  async finish(budgetMs: number): Promise<void> {
    this.closing = true;
    const budget = setTimeout(() => this.shutdown.abort(), budgetMs);
    try {
      this.kick(true);
      await this.loop;
    } finally {
      clearTimeout(budget);
      this.shutdown.abort();
    }
  }

  /**
   * Starts the loop if it is not running. `now` (a flush, the shutdown) also cuts its backoff wait
   * short; a file closed during an outage just waits its turn, or every rotation would be one more
   * failed attempt and push the backoff to retryMaxDelay within a few files.
   */
  private kick(now = false): void {
    if (this.wakeUp) {
      if (now) this.wakeUp();
      return;
    }
    if (this.running) return;
    this.running = true;
    this.loop = this.run().catch((error: unknown) => {
      this.running = false;
      this.options.logger.error({ err: error }, 'upload loop failed; it restarts with the next file');
    });
  }

  private async run(): Promise<void> {
    const triedAtClose = new Set<SpoolFile>();
    for (;;) {
      const file = this.closing ? this.pending.find((f) => !triedAtClose.has(f)) : this.pending[0];
      if (!file || (this.closing && this.shutdown.signal.aborted)) {
        this.running = false; // in the same tick as the check: a file enqueued from now on starts a new loop
        return;
      }
      let key: string | undefined;
      try {
        const signal = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(this.options.requestTimeout * 1000)]);
        key = await this.options.upload(file, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          // Someone removed the spool file: nothing left to upload, never retry it.
          this.counters.lostFiles++;
          await this.forget(file);
          this.options.logger.error(
            { file: file.path, events: file.lines },
            'a spooled file disappeared before its upload',
          );
          this.notifyAttempt(file, undefined);
          continue;
        }
        this.onFailure(file, error);
      }
      if (key !== undefined) await this.onUploaded(file, key);
      this.notifyAttempt(file, key);
      if (key !== undefined) continue;
      if (this.closing) {
        triedAtClose.add(file);
        continue;
      }
      // Another file goes first next time: one file the store refuses does not block the others.
      this.pending.push(...this.pending.splice(this.pending.indexOf(file), 1));
      await this.sleep(
        backoffDelay(this.failures.inARow, {
          initialDelay: this.options.retryMinDelay * 1000,
          maxDelay: this.options.retryMaxDelay * 1000,
        }),
      );
    }
  }

  private async forget(file: SpoolFile): Promise<void> {
    this.pending.splice(this.pending.indexOf(file), 1);
    this.byPath.delete(file.path);
    await this.options.release(file);
  }

  private async onUploaded(file: SpoolFile, key: string): Promise<void> {
    // Counted before the spool lets it go: no look at the stats sees it in neither (the spool
    // count drops at release, and removing the file takes a while under load).
    this.counters.uploadedFiles++;
    this.counters.uploadedEvents += file.lines;
    this.counters.uploadedBytes += file.bytes;
    await this.forget(file);
    const failedAttempts = this.failures.succeed();
    if (failedAttempts > 0) this.options.logger.info({ failedAttempts, key }, 'uploads resumed');
  }

  private onFailure(file: SpoolFile, error: unknown): void {
    this.counters.uploadFailures++;
    if (this.failures.fail(this.options.now())) {
      this.options.logger.warn(
        { err: error, file: file.path, failuresInARow: this.failures.inARow, spoolFiles: this.options.spoolFiles() },
        'upload failed; the file stays in the spool and is retried',
      );
    }
  }

  private notifyAttempt(file: SpoolFile, key: string | undefined): void {
    const waiters = this.attemptWaiters.get(file);
    if (!waiters) return;
    this.attemptWaiters.delete(file);
    for (const resolve of waiters) resolve(key);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    }).finally(() => {
      this.wakeUp = undefined;
    });
  }
}
