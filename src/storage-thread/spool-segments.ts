import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Wt1Error } from '../errors.js';
import { processIsAlive } from '../storage/recovery.js';
import { syncDir } from '../storage/rotating-log.js';
import { createFolder } from '../util/make-dir.js';
import { segmentEvents } from './spool-line.js';
import type { TrackedEvent } from '../event/event.js';

/** One file of the durable spool: events appended as lines, removed once all are confirmed. */
export interface Segment {
  readonly seq: number;
  /** Random part of the name, in each of its events' message ids: ids never repeat, even if the folder is emptied. */
  readonly tag: string;
  readonly path: string;
  bytes: number;
  /** Lines appended by this process; for a segment left by an earlier run, known once read (-1 before). */
  lines: number;
  /** No more lines will be appended (full, failed, or left by an earlier run). */
  closed: boolean;
}

// SEQ.TAG.seg: SEQ orders the segments (zero-padded: the name order is the order), TAG is random hex.
const SEGMENT_NAME = /^(\d{12})\.([0-9a-f]{12})\.seg$/;
const OWNER_FILE = 'owner';

/**
 * The segment files of the durable spool, in one folder owned by one process: appends go to the
 * open segment, a new one is started once it holds `segmentBytes`; `sync` makes every appended line
 * (and every new name) durable, so the group commit can acknowledge them. Only the caller's append,
 * rotate and remove calls are serialised by the worker; `sync` may run while an append does.
 */
export class SegmentFiles {
  private current: { segment: Segment; handle: FileHandle } | undefined;
  /** Handles of segments closed since the last sync: synced, then closed, by the next one. */
  private retired: FileHandle[] = [];
  private dirty = false;
  private newNames = false;
  private nextSeq = 0;
  private total = 0;

  constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
  ) {}

  /** Bytes of every segment on disk (the spool's size, checked against durable.maxSpoolBytes). */
  get bytes(): number {
    return this.total;
  }

  /** Creates and claims the folder; returns the segments left by an earlier run, oldest first. */
  async open(): Promise<Segment[]> {
    await createFolder(this.dir, 'durable.spoolDir');
    const owner = path.join(this.dir, OWNER_FILE);
    const pid = Number((await readFile(owner, 'utf8').catch(() => '')).trim());
    if (pid > 0 && processIsAlive(pid))
      throw new Wt1Error(
        'WT1_ERR_STORAGE_IO',
        `durable.spoolDir: ${this.dir} is the spool of the running process ${pid}; give each collector its own ` +
          '(workers get one each from their instanceId)',
      );
    await writeFile(owner, `${process.pid}\n`);
    const left: Segment[] = [];
    for (const name of (await readdir(this.dir)).sort()) {
      const m = SEGMENT_NAME.exec(name);
      if (!m) continue;
      const file = path.join(this.dir, name);
      const { size } = await stat(file);
      left.push({ seq: Number(m[1]), tag: m[2], path: file, bytes: size, lines: -1, closed: true });
      this.total += size;
    }
    this.nextSeq = left.length > 0 ? left[left.length - 1].seq + 1 : 0;
    return left;
  }

  /**
   * Appends the lines (`count` events) to the open segment, starting a new one first if it is full;
   * returns the segment they went to. On a write error that segment is closed (a partial write cut
   * off when possible) and the error thrown: the next append starts a new segment.
   */
  async append(text: string, count: number): Promise<Segment> {
    if (this.current === undefined || this.current.segment.bytes >= this.segmentBytes) await this.startSegment();
    const { segment, handle } = this.current!;
    const data = Buffer.from(text);
    try {
      for (let at = 0; at < data.length; ) at += (await handle.write(data, at)).bytesWritten;
    } catch (error) {
      await handle.truncate(segment.bytes).catch(() => {});
      this.closeCurrent();
      throw error;
    }
    segment.bytes += data.length;
    segment.lines += count;
    this.total += data.length;
    this.dirty = true;
    return segment;
  }

  /** Every line appended and every segment created before the call is on disk once this resolves. */
  sync(): Promise<void> {
    // One at a time (the group commit and close may both call it): a handle is closed only by the sync after
    // the one that captured it.
    const run = this.syncing.then(() => this.syncOnce());
    this.syncing = run.catch(() => {});
    return run;
  }
  private syncing: Promise<void> = Promise.resolve();

  private async syncOnce(): Promise<void> {
    const retired = this.retired;
    this.retired = [];
    const names = this.newNames;
    const dirty = this.dirty;
    const current = this.current?.handle;
    this.newNames = this.dirty = false;
    try {
      await Promise.all(retired.map((h) => h.datasync()));
      if (dirty && current) await current.datasync();
      if (names) await syncDir(this.dir);
    } catch (error) {
      this.newNames ||= names;
      this.dirty ||= dirty;
      throw error;
    } finally {
      await Promise.all(retired.map((h) => h.close().catch(() => {})));
    }
  }

  /** Removes a segment whose events are all confirmed (the open one too: the next append starts another). */
  async remove(segment: Segment): Promise<void> {
    if (this.current?.segment === segment) this.closeCurrent();
    await rm(segment.path, { force: true });
    this.total -= segment.bytes;
    segment.bytes = 0;
  }

  /** The events of a closed segment, by line number (holes for torn or unreadable lines). */
  async read(segment: Segment): Promise<Array<TrackedEvent | undefined>> {
    const events = segmentEvents(await readFile(segment.path, 'utf8'));
    segment.lines = events.length;
    return events;
  }

  /** Syncs and closes every handle; the segments stay for the next start. */
  async close(): Promise<void> {
    this.closeCurrent();
    await this.sync();
  }

  private async startSegment(): Promise<void> {
    this.closeCurrent();
    const tag = randomBytes(6).toString('hex');
    const seq = this.nextSeq++;
    const file = path.join(this.dir, `${String(seq).padStart(12, '0')}.${tag}.seg`);
    const handle = await open(file, 'wx');
    this.current = { segment: { seq, tag, path: file, bytes: 0, lines: 0, closed: false }, handle };
    this.newNames = true;
  }

  private closeCurrent(): void {
    if (this.current === undefined) return;
    this.current.segment.closed = true;
    this.retired.push(this.current.handle);
    this.current = undefined;
  }
}
