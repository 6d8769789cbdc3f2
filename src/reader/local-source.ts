import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { findFiles, findPublishedLogFiles } from '../logfile/discovery.js';
import { timeFromPath } from '../logfile/naming.js';
import type { LogFileRef, LogSource } from './source.js';

/** A file being written: `_mm-ss.HOST.PID.RANDOM.log.gz` (src/logfile/naming.ts). */
const isOpenLogName = (name: string): boolean => name.startsWith('_') && name.endsWith('.log.gz');

/**
 * A local folder: the `rootDir` of one or more instances (or any folder below it, e.g. one day), or a
 * single `.log.gz` file. Every published log file under it is read, recursively; with `includeOpen`,
 * the `_` files being written too (their complete lines).
 */
export class LocalSource implements LogSource {
  skippedOpenFiles = 0;

  constructor(
    readonly name: string,
    private readonly options: { includeOpen?: boolean } = {},
  ) {}

  async list(): Promise<LogFileRef[]> {
    const info = await stat(this.name);
    if (info.isFile()) return [fileRef(this.name, isOpenLogName(path.basename(this.name)) ? this.name : undefined)];
    const published = await findPublishedLogFiles(this.name);
    const open = await findFiles(this.name, isOpenLogName);
    if (!this.options.includeOpen) {
      this.skippedOpenFiles = open.length;
      return published.map((f) => fileRef(f));
    }
    if (open.length === 0) return published.map((f) => fileRef(f));
    // A writer publishes by linking its `_` file to the final name, then removing the `_` name: a
    // file listed under both names is read once (same inode).
    const inodes = new Set<string>();
    for (const file of published) {
      const id = await inodeOf(file);
      if (id) inodes.add(id);
    }
    const refs = published.map((f) => fileRef(f));
    for (const file of open) {
      const id = await inodeOf(file);
      if (id === undefined || inodes.has(id)) continue; // published meanwhile, or already listed
      refs.push(fileRef(file, this.name, id));
    }
    return refs;
  }
}

async function inodeOf(file: string): Promise<string | undefined> {
  try {
    const s = await stat(file);
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined; // gone since the listing
  }
}

/**
 * `root` is set for a file being written: when its `_` name is gone by the time it is opened (it
 * was published meanwhile), the published file with the same inode under `root` is read instead.
 */
function fileRef(file: string, root?: string, inode?: string): LogFileRef {
  const absolute = path.resolve(file);
  const openStream = (name: string): Promise<Readable> =>
    new Promise<Readable>((resolve, reject) => {
      const stream = createReadStream(name);
      stream.once('open', () => resolve(stream));
      stream.once('error', reject);
    });
  return {
    name: absolute,
    // A `_` name holds the time the file was opened, not published: never used to skip it.
    nameTime: root === undefined ? timeFromPath(absolute) : undefined,
    beingWritten: root !== undefined,
    open: async () => {
      try {
        return await openStream(file);
      } catch (error) {
        if (root === undefined || inode === undefined || (error as NodeJS.ErrnoException).code !== 'ENOENT')
          throw error;
        for (const published of await findPublishedLogFiles(root)) {
          if ((await inodeOf(published)) === inode) return openStream(published);
        }
        throw error;
      }
    },
  };
}
