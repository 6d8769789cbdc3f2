import { createReadStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { constants as zc, createGunzip } from 'node:zlib';
import path from 'node:path';
import type { Logger } from 'pino';
import { GzipLogFile } from './gzip-log-file.js';
import { parseTemporaryName, safeHostname, temporaryName } from '../logfile/naming.js';
import { findFiles } from '../logfile/discovery.js';
import { makeDir } from '../util/make-dir.js';

export interface RecoveredFile {
  readonly from: string;
  readonly lines: number;
  readonly droppedTailBytes: number;
  /** Final name (from `publish`), or undefined when nothing complete was left in the file. */
  readonly publishedAs: string | undefined;
}

/** Whether a process of this host still runs (our own pid counts as dead: a previous life in a container). */
export function processIsAlive(pid: number): boolean {
  if (pid === process.pid) return false; // a previous life of this process (pid 1 in a container)
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Decompresses as much of a possibly torn gzip file as can be read: a crash leaves a valid prefix
 * (thanks to the periodic sync flush) followed by a partial block, which is ignored.
 */
export async function readTornGzip(file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    const gunzip = createGunzip({ finishFlush: zc.Z_SYNC_FLUSH });
    gunzip.on('data', (c: Buffer) => chunks.push(c));
    gunzip.on('end', () => resolve());
    gunzip.on('error', () => resolve());
    const input = createReadStream(file);
    input.on('error', () => {
      gunzip.end();
    });
    input.pipe(gunzip);
  });
  return Buffer.concat(chunks);
}

/**
 * At start: publishes the `_` files left by dead writers of this host under `workDir/tracker`,
 * keeping complete lines and cutting a torn tail. Each file is claimed by an atomic rename first, so
 * two processes starting together never recover the same file.
 *
 * A `_` file of another host name is taken too once untouched for twice `newFileTriggerInterval`
 * (seconds) plus a minute: a container re-created under a new host name on the same volume would
 * otherwise never get its leftovers back, while a live writer elsewhere touches its file at every
 * sync flush and closes it within the interval. Without time rotation (0) such files are never taken.
 */
export async function recoverLeftovers(
  workDir: string,
  logger: Logger,
  publish: (tmpPath: string, lines: number, inputBytes: number, gzippedBytes: number, time: number) => Promise<string>,
  newFileTriggerInterval: number,
): Promise<RecoveredFile[]> {
  const host = safeHostname();
  const foreignAfterMs = newFileTriggerInterval > 0 ? (2 * newFileTriggerInterval + 60) * 1000 : undefined;
  const foreign = new Set<string>();
  const named = await findFiles(path.join(workDir, 'tracker'), (name) => {
    // A file claimed by a recovery that itself crashed (`.recovering-PID`) is taken up again.
    const claim = /^(.*)\.recovering-(\d+)$/.exec(name);
    if (claim && processIsAlive(Number(claim[2]))) return false;
    const parsed = parseTemporaryName(claim ? claim[1] : name);
    if (parsed === undefined) return false;
    if (parsed.host === host) return !processIsAlive(parsed.pid);
    if (foreignAfterMs === undefined) return false;
    foreign.add(name);
    return true;
  });
  const now = Date.now();
  const candidates: string[] = [];
  for (const found of named) {
    if (foreign.has(path.basename(found))) {
      const changed = await stat(found).then(
        (s) => s.mtimeMs,
        () => undefined,
      );
      if (changed === undefined || now - changed < foreignAfterMs!) continue; // maybe a live writer elsewhere
    }
    candidates.push(found);
  }
  const results: RecoveredFile[] = [];
  for (const found of candidates) {
    const file = found.replace(/\.recovering-\d+$/, '');
    const claimed = `${file}.recovering-${process.pid}`;
    try {
      await rename(found, claimed);
    } catch {
      continue; // another process took it
    }
    try {
      // Still linked under its final name: the writer died between publishing (link) and removing
      // the temporary name. It is published already; publishing it again would duplicate it.
      if ((await stat(claimed)).nlink > 1) {
        await rm(claimed);
        logger.warn({ file }, 'a leftover file was already published; its temporary name is removed');
        continue;
      }
      results.push(await recoverOne(claimed, file, workDir, publish));
    } catch (error) {
      logger.error({ err: error, file }, 'could not recover a leftover file; it is kept as is');
      await rename(claimed, file + '.unrecoverable').catch(() => {});
    }
  }
  for (const r of results) logger.warn(r, 'recovered a file left by a crashed writer');
  return results;
}

async function recoverOne(
  claimed: string,
  original: string,
  workDir: string,
  publish: (tmpPath: string, lines: number, inputBytes: number, gzippedBytes: number, time: number) => Promise<string>,
): Promise<RecoveredFile> {
  const data = await readTornGzip(claimed);
  const lastNewline = data.lastIndexOf(0x0a);
  const complete = lastNewline === -1 ? Buffer.alloc(0) : data.subarray(0, lastNewline + 1);
  const droppedTailBytes = data.length - complete.length;
  const text = complete.toString('utf8');
  const firstNewline = text.indexOf('\n');
  const header = firstNewline === -1 ? '' : text.slice(0, firstNewline + 1);
  const body = firstNewline === -1 ? '' : text.slice(firstNewline + 1);
  const lines = body === '' ? 0 : body.split('\n').length - 1;
  if (!header.startsWith('#') || lines === 0) {
    await rm(claimed, { force: true });
    return { from: original, lines: 0, droppedTailBytes, publishedAs: undefined };
  }
  const mtime = (await stat(claimed)).mtimeMs;
  const tmp = path.join(workDir, temporaryName(mtime));
  await makeDir(path.dirname(tmp));
  // Synced before its close: the claimed file is removed next, this copy must be on disk by then.
  const rewritten = new GzipLogFile(tmp, header, mtime, undefined, undefined, true);
  await rewritten.write(body);
  const closed = await rewritten.finish();
  // The claimed file goes before the rewritten one is published: a crash in between leaves only
  // the rewritten one (a temporary file of a dead writer, recovered once at the next start).
  await rm(claimed, { force: true });
  const publishedAs = await publish(tmp, lines, closed.inputBytes, closed.gzippedBytes, mtime);
  return { from: original, lines, droppedTailBytes, publishedAs };
}
