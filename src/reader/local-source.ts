import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { findPublishedLogFiles } from '../logfile/discovery.js';
import { timeFromPath } from '../logfile/naming.js';
import type { LogFileRef, LogSource } from './source.js';

/**
 * A local folder: the `rootDir` of one or more instances (or any folder below it, e.g. one day), or a
 * single `.log.gz` file. Every published log file under it is read, recursively.
 */
export class LocalSource implements LogSource {
  constructor(readonly name: string) {}

  async list(): Promise<LogFileRef[]> {
    const info = await stat(this.name);
    if (info.isFile()) return [fileRef(this.name)];
    return (await findPublishedLogFiles(this.name)).map(fileRef);
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
