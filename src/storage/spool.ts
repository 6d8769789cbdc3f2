import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { processIsAlive } from './recovery.js';
import { safeHostname } from '../logfile/naming.js';
import { createFolder } from '../util/make-dir.js';

/** A closed log file waiting in the spool's outbox for its upload. */
export interface SpoolFile {
  readonly path: string;
  /** Close time (ms): the object key's date and `mm-ss`. */
  readonly time: number;
  readonly lines: number;
  readonly bytes: number;
  /** Instance that wrote it: part of the object key, kept across restarts. */
  readonly instanceId: string;
  /** Random id of this file, stored as object metadata to recognize an earlier upload of it. */
  readonly id: string;
}

// TIME.LINES.HOST.PID.ID.INSTANCE.log.gz (HOST has no dot, ID is hex, INSTANCE may hold dots)
const OUTBOX_NAME = /^(\d+)\.(\d+)\.([A-Za-z0-9-]+)\.(\d+)\.([0-9a-f]+)\.(.+)\.log\.gz$/;

function outboxName(time: number, lines: number, pid: number, id: string, instanceId: string): string {
  return `${time}.${lines}.${safeHostname()}.${pid}.${id}.${instanceId}.log.gz`;
}

/**
 * The outbox of an object-storage engine: closed files waiting for upload, under `DIR/outbox/`.
 * A file's name holds everything needed to upload it (time, lines, instance, id) and the host and
 * pid of the process that owns it, so that after a crash or restart the next process of this host
 * adopts the files of dead owners (an atomic rename: two workers never take the same file), and
 * a live worker's files are left to it.
 */
export class Spool {
  readonly outbox: string;
  private files = 0;
  private totalBytes = 0;
  private totalLines = 0;

  constructor(
    readonly dir: string,
    private readonly instanceId: string,
    private readonly logger: Logger,
  ) {
    this.outbox = path.join(dir, 'outbox');
  }

  async open(): Promise<void> {
    await createFolder(this.outbox, 'storage.params.tmpFolder');
  }

  /** Files in the outbox, bytes, events: what is not uploaded yet (the open file excluded). */
  get fileCount(): number {
    return this.files;
  }
  get bytes(): number {
    return this.totalBytes;
  }
  get lines(): number {
    return this.totalLines;
  }

  /** Moves a closed log file into the outbox (same file system: a rename). */
  async add(closedPath: string, time: number, lines: number): Promise<SpoolFile> {
    const id = randomBytes(6).toString('hex');
    const target = path.join(this.outbox, outboxName(Math.round(time), lines, process.pid, id, this.instanceId));
    await rename(closedPath, target);
    const { size } = await stat(target);
    return this.track({ path: target, time: Math.round(time), lines, bytes: size, instanceId: this.instanceId, id });
  }

  /**
   * Files left in the outbox by dead processes of this host (earlier runs, crashed workers): each
   * is renamed to this process's pid, then returned oldest first.
   */
  async adoptLeftovers(): Promise<SpoolFile[]> {
    const host = safeHostname();
    const adopted: SpoolFile[] = [];
    let foreign = 0;
    for (const name of await readdir(this.outbox)) {
      const m = OUTBOX_NAME.exec(name);
      if (!m) continue;
      const [, time, lines, owner, pid, id, instanceId] = m;
      if (owner !== host) {
        foreign++;
        continue;
      }
      if (processIsAlive(Number(pid))) continue; // a live worker's file
      const target = path.join(this.outbox, outboxName(Number(time), Number(lines), process.pid, id, instanceId));
      try {
        await rename(path.join(this.outbox, name), target);
      } catch {
        continue; // another process adopted it first
      }
      const { size } = await stat(target);
      adopted.push(this.track({ path: target, time: Number(time), lines: Number(lines), bytes: size, instanceId, id }));
    }
    if (foreign > 0)
      this.logger.warn(
        { outbox: this.outbox, files: foreign },
        'the spool holds files of another host; they are left to it',
      );
    return adopted.sort((a, b) => a.time - b.time);
  }

  /** Forgets an uploaded file (the caller removes it from disk). */
  release(file: SpoolFile): void {
    this.files--;
    this.totalBytes -= file.bytes;
    this.totalLines -= file.lines;
  }

  private track(file: SpoolFile): SpoolFile {
    this.files++;
    this.totalBytes += file.bytes;
    this.totalLines += file.lines;
    return file;
  }
}

/** MD5 of a file: the ETag S3 and GCS give a single-part upload, and the Content-MD5 we send. */
export async function md5Of(file: string): Promise<Buffer> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest();
}
