import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { isPublishedLogName, timeFromPath, type LogFileRef, type LogSource } from './source.js';

/**
 * A local folder: the `rootDir` of one or more instances (or any folder below it, e.g. one day), or a
 * single `.log.gz` file. Every published log file under it is read, recursively.
 */
export class LocalSource implements LogSource {
  constructor(readonly name: string) {}

  async list(): Promise<LogFileRef[]> {
    const info = await stat(this.name);
    if (info.isFile()) return [fileRef(this.name)];
    const out: LogFileRef[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile() && isPublishedLogName(entry.name)) out.push(fileRef(full));
      }
    };
    await walk(this.name);
    return out;
  }
}

function fileRef(file: string): LogFileRef {
  const absolute = path.resolve(file);
  return {
    name: absolute,
    nameTime: timeFromPath(absolute),
    open: () => new Promise<Readable>((resolve, reject) => {
      const stream = createReadStream(file);
      stream.once('open', () => resolve(stream));
      stream.once('error', reject);
    }),
  };
}
