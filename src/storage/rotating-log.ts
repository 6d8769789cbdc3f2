import { constants as fsConstants } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { makeDir } from '../util/make-dir.js';
import path from 'node:path';
import type { Logger } from 'pino';
import type { TrackedEvent } from '../event/event.js';
import { formatLine, headerLine, type LineColumns } from '../logfile/line-format.js';
import { temporaryName } from '../logfile/naming.js';
import { GzipLogFile, type ClosedLogFile } from './gzip-log-file.js';
import type { EngineContext } from './engine.js';

export interface RotationOptions {
  /** Folder under which `tracker/...` temporary files are written. */
  readonly workDir: string;
  readonly columns: LineColumns;
  /** Rotate once the uncompressed size reaches this many bytes. */
  readonly newFileTriggerSize: number;
  /** Rotate once the file is this many seconds old (0: never). */
  readonly newFileTriggerInterval: number;
  /** zlib compression level of the files, 1..9. */
  readonly gzipLevel: number;
  /** Seconds between sync flushes of the open file. */
  readonly flushInterval: number;
  readonly now: () => number;
  readonly logger: Logger;
  /** `ackMode=durable`: files are synced to disk (`sync`, and before they are closed), new folder entries too. */
  readonly durable?: boolean;
  /** Publishes a closed file (rename into place, or hand to the uploader); returns its final name. */
  readonly publish: (file: ClosedLogFile) => Promise<string>;
}

/** The rotation options of a file-based engine, from its trigger params and the engine context. */
export function rotationOptions(
  workDir: string,
  triggers: {
    readonly newFileTriggerSize: number;
    readonly newFileTriggerInterval: number;
    readonly gzipLevel: number;
  },
  context: EngineContext,
  publish: RotationOptions['publish'],
): RotationOptions {
  return {
    workDir,
    columns: context.columns,
    newFileTriggerSize: triggers.newFileTriggerSize,
    newFileTriggerInterval: triggers.newFileTriggerInterval,
    gzipLevel: triggers.gzipLevel,
    flushInterval: context.config.flushInterval,
    durable: context.config.ackMode === 'durable',
    now: context.now,
    logger: context.logger,
    publish,
  };
}

const WRITE_CHECK_BYTES = Buffer.alloc(64 * 1024);
const WRITE_CHECK_FLAGS = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW;

/** Rotations allowed to run behind the writes before the queue waits for them (bounds open files). */
const MAX_CLOSING = 4;

/**
 * The behaviour shared by the file-based engines: one open gzip file at a time, rotated on size and
 * age (age also on a timer, so an idle file does not stay open), sync-flushed every `flushInterval`,
 * never published empty.
 */
export class RotatingLog {
  private current: GzipLogFile | undefined;
  private timer: NodeJS.Timeout | undefined;
  private rotating: Promise<string | undefined> = Promise.resolve(undefined);
  private readonly header: string;
  private counters = {
    createdFiles: 0,
    savedEvents: 0,
    savedEventsInputSize: 0,
    savedEventsGZippedSize: 0,
    lostEvents: 0,
  };

  constructor(private readonly options: RotationOptions) {
    this.header = headerLine(options.columns);
  }

  start(): void {
    const ms = Math.max(10, this.options.flushInterval * 1000);
    this.timer = setInterval(() => void this.tick(), ms);
    this.timer.unref();
  }

  /**
   * Totals of the files done with plus the open and closing ones. savedEvents counts lines handed
   * to a file; lostEvents, those of them that a failed file (disk full, I/O error) lost before they
   * reached the disk. The lines on disk are savedEvents - lostEvents.
   */
  stats(): Record<string, number> {
    const open = [this.current, ...this.closing];
    const sum = (f: (x: GzipLogFile) => number): number => open.reduce((a, x) => a + (x ? f(x) : 0), 0);
    return {
      createdFiles: this.counters.createdFiles,
      savedEvents: this.counters.savedEvents + sum((x) => x.lines),
      savedEventsInputSize: this.counters.savedEventsInputSize + sum((x) => x.inputBytes),
      savedEventsGZippedSize: this.counters.savedEventsGZippedSize + sum((x) => x.gzippedBytes),
      openFileEvents: this.current?.lines ?? 0,
      lostEvents: this.counters.lostEvents,
    };
  }

  write(event: TrackedEvent): void | Promise<void> {
    const pending = this.writeLine(event);
    // Kept so that close() takes a write still waiting (for gzip, a new file) into the last file.
    if (pending !== undefined) this.lastPending = pending;
    return pending;
  }
  private lastPending: Promise<void> | undefined;

  private writeLine(event: TrackedEvent): void | Promise<void> {
    const now = this.options.now();
    if (this.current && this.isTooOld(this.current, now)) this.rotateInBackground();
    // Rotations close and publish in the background; only when several are behind does the queue wait.
    if (this.closing.size > MAX_CLOSING)
      return this.rotating.then(
        () => this.write(event),
        () => this.write(event),
      );
    const file = this.current;
    if (!file) return this.openFile(now).then(() => this.write(event));
    if (file.error) {
      // A failed file (disk full, folder removed...) takes no more lines: give it up so the next
      // event opens a fresh one, and count this event as failed.
      this.abandon(file);
      throw file.error;
    }
    let pending: void | Promise<void>;
    try {
      pending = file.write(formatLine(event, this.options.columns));
    } catch (error) {
      this.abandon(file);
      throw error;
    }
    if (file.inputBytes >= this.options.newFileTriggerSize) this.rotateInBackground();
    return pending;
  }

  /**
   * `ackMode=durable`: resolves once every line written before the call is on disk (fdatasync): the
   * open file is sync-flushed and synced, files being closed are synced before their close.
   */
  async sync(): Promise<void> {
    const file = this.current;
    const rotations = this.rotating;
    if (file && file.dirty) {
      const done = file.sync();
      this.syncing = { file, done };
      try {
        await done;
      } catch (error) {
        this.failing = true;
        throw error;
      } finally {
        if (this.syncing?.done === done) this.syncing = undefined;
      }
    }
    await rotations;
  }
  /** The sync in progress: a rotation waits for it before closing that file. */
  private syncing: { file: GzipLogFile; done: Promise<void> } | undefined;

  /** Starts closing the open file without waiting for it: the next event goes to a new file at once. */
  private rotateInBackground(): void {
    this.rotate().catch((error: unknown) => {
      this.options.logger.error(
        { err: error },
        'closing or publishing a log file failed; its lines on disk are recovered at the next start (the others ' +
          'are counted in lostEvents)',
      );
    });
  }

  /**
   * False from a file that failed (disk full, folder not writable) until bytes reach the disk again:
   * a later sync flush or close, or the write check made every flushInterval while no file is open.
   */
  ready(): boolean {
    return !this.failing;
  }
  private failing = false;

  private abandon(file: GzipLogFile): void {
    this.failing = true;
    if (this.current === file) this.current = undefined;
    const lost = this.retire(file);
    file.destroy();
    this.options.logger.error(
      { err: file.error, file: file.path, lostEvents: lost, recoverableEvents: file.durableLines },
      'log file failed; its lines not yet on disk are lost (counted in lostEvents), the others are recovered at ' +
        'the next start',
    );
  }

  /** Closes and publishes the open file, if it holds any event. */
  async rotate(): Promise<string | undefined> {
    const file = this.current;
    this.current = undefined;
    // Nothing open: wait for a rotation in progress, but it published nothing for this call.
    if (!file)
      return this.rotating.then(
        () => undefined,
        () => undefined,
      );
    // Rotations run one after the other (names in order); one that failed must not stop the next ones.
    this.closing.add(file);
    this.rotating = this.rotating
      .catch(() => undefined)
      .then(() => this.finishAndPublish(file))
      .finally(() => {
        this.closing.delete(file);
        this.retire(file);
      });
    return this.rotating;
  }

  async close(): Promise<string | undefined> {
    if (this.timer) clearInterval(this.timer);
    await this.lastPending?.catch(() => {}); // its failure was the write's to report
    return this.rotate();
  }

  private async finishAndPublish(file: GzipLogFile): Promise<string | undefined> {
    let closed: ClosedLogFile;
    try {
      if (this.syncing?.file === file) await this.syncing.done.catch(() => {});
      closed = await file.finish();
    } catch (error) {
      this.failing = true;
      throw error;
    }
    this.failing = false;
    if (closed.lines === 0) {
      await rm(closed.path, { force: true });
      return undefined;
    }
    const name = await this.options.publish(closed);
    this.counters.createdFiles++;
    return name;
  }

  /**
   * A file leaves the open and closing ones (published, or failed: its lines on disk are recovered
   * at the next start): its lines stay counted, so the totals never go backwards, and those it
   * never got to the disk are counted lost. Returns that number.
   */
  private retire(file: GzipLogFile): number {
    const lost = file.lines - file.durableLines;
    this.counters.savedEvents += file.lines;
    this.counters.savedEventsInputSize += file.inputBytes;
    this.counters.savedEventsGZippedSize += file.gzippedBytes;
    this.counters.lostEvents += lost;
    return lost;
  }

  private isTooOld(file: GzipLogFile, now: number): boolean {
    const interval = this.options.newFileTriggerInterval;
    return interval > 0 && now - file.openedAt >= interval * 1000;
  }

  /**
   * Opens the next file before it takes a line: an open that fails (folder not writable, disk full)
   * fails the event that needed it, instead of the lines written meanwhile being lost as "written".
   */
  private async openFile(now: number): Promise<void> {
    const full = path.join(this.options.workDir, temporaryName(now));
    let handle: FileHandle;
    try {
      handle = await this.openHandle(full);
    } catch (error) {
      this.failing = true;
      throw error;
    }
    // Durable: the new file's name must survive a crash too, not only its bytes.
    if (this.options.durable) await syncDir(path.dirname(full));
    this.current = new GzipLogFile(full, this.header, now, this.options.gzipLevel, handle, this.options.durable);
  }

  /**
   * While failing with no file open, whether a file can be created and written in the hour folder
   * now (64 KiB, about what a flush writes), so that readiness comes back without waiting for an
   * event that a load balancer no longer sends.
   */
  private async checkWritable(): Promise<void> {
    // An unpredictable name created exclusively, never through a symlink (issue 15 §4: a fixed
    // `.wt1-write-check.<pid>` opened with 'w' let a planted link overwrite a file elsewhere),
    // and removed only when this check created it.
    const name = `.wt1-write-check.${process.pid}.${randomBytes(8).toString('hex')}`;
    const full = path.join(this.options.workDir, path.dirname(temporaryName(this.options.now())), name);
    let created = false;
    try {
      const handle = await this.openHandle(full, WRITE_CHECK_FLAGS);
      created = true;
      try {
        await handle.write(WRITE_CHECK_BYTES);
      } finally {
        await handle.close();
      }
      await rm(full, { force: true });
      created = false;
      this.failing = false;
      this.options.logger.info({ folder: path.dirname(full) }, 'log files can be written again');
    } catch {
      // still failing: checked again at the next tick
    } finally {
      if (created) await rm(full, { force: true }).catch(() => {});
    }
  }

  /** Protected for the tests, which hand out a file that fails (/dev/full). */
  protected async openHandle(full: string, flags: string | number = 'wx'): Promise<FileHandle> {
    const dir = path.dirname(full);
    if (this.knownDir !== dir) {
      await makeDir(dir);
      this.knownDir = dir;
    }
    try {
      return await open(full, flags);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // The folder was removed under us (a clean-up job, an operator): create it again, once.
      await makeDir(dir);
      return await open(full, flags);
    }
  }
  private knownDir: string | undefined;
  /** Files handed to `rotate` and not yet published (counted in stats meanwhile). */
  private readonly closing = new Set<GzipLogFile>();

  private async tick(): Promise<void> {
    const file = this.current;
    if (!file) {
      if (this.failing && !this.checking) {
        this.checking = true;
        await this.checkWritable().finally(() => {
          this.checking = false;
        });
      }
      return;
    }
    try {
      if (this.isTooOld(file, this.options.now())) await this.rotate();
      else if (file.dirty) {
        await file.syncFlush();
        this.failing = false;
      }
    } catch (error) {
      this.failing = true;
      this.options.logger.error({ err: error, file: file.path }, 'periodic flush failed');
    }
  }
  private checking = false;
}

/** fsync of a folder: the names created or linked in it are on disk (ackMode=durable). */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
