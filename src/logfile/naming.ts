import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';

/**
 * The names of log files (WT1-REFERENCE §7): published files
 * `tracker/YYYY/MM/DD/HH/mm-ss[-INSTANCE][-N].log.gz` (UTC), and the `_` temporaries a writer keeps
 * while a file is open. Written by the storage engines, read by `wt1 cat` and recovery.
 */

/** `tracker/YYYY/MM/DD/HH` of a time, in UTC. */
export function hourFolder(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-27T06:05:04.123Z
  return path.join('tracker', iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10), iso.slice(11, 13));
}

/** `tracker/YYYY/MM/DD/HH/mm-ss[-INSTANCE][-N].log.gz`, UTC; N > 0 only when the name was taken. */
export function publishedName(ms: number, instanceId: string, n: number): string {
  const iso = new Date(ms).toISOString();
  const suffix = `${instanceId ? '-' + instanceId : ''}${n > 0 ? '-' + n : ''}`;
  const base = `${iso.slice(14, 16)}-${iso.slice(17, 19)}${suffix}.log.gz`;
  return path.join(hourFolder(ms), base);
}

/** Characters kept in an instance id used in file names and object keys; others (`/` first) become `-`. */
export function safeInstanceId(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '-');
}

/** Host name made safe for a file name. */
export function safeHostname(): string {
  return hostname().replace(/[^A-Za-z0-9-]/g, '-') || 'host';
}

/**
 * Temporary name of a file being written: `_` first (readers skip it), then the writer's host and
 * pid so that recovery after a crash only takes the files of dead writers of this host.
 */
export function temporaryName(ms: number): string {
  const iso = new Date(ms).toISOString();
  const owner = `${safeHostname()}.${process.pid}.${randomBytes(4).toString('hex')}`;
  return path.join(hourFolder(ms), `_${iso.slice(14, 16)}-${iso.slice(17, 19)}.${owner}.log.gz`);
}

/** Parses a temporary name; undefined when it is not one of ours. */
export function parseTemporaryName(name: string): { host: string; pid: number } | undefined {
  const m = /^_\d\d-\d\d\.([A-Za-z0-9-]+)\.(\d+)\.[0-9a-f]+\.log\.gz$/.exec(name);
  return m ? { host: m[1], pid: Number(m[2]) } : undefined;
}

/** A published log file name: `mm-ss[-INSTANCE][-N].log.gz`, not a `_` temporary. */
export function isPublishedLogName(baseName: string): boolean {
  return baseName.endsWith('.log.gz') && !baseName.startsWith('_');
}

/** The time encoded in `.../YYYY/MM/DD/HH/mm-ss...log.gz` (UTC), or undefined. */
export function timeFromPath(pathOrKey: string): number | undefined {
  const m = /(\d{4})\/(\d\d)\/(\d\d)\/(\d\d)\/(\d\d)-(\d\d)[^/]*\.log\.gz$/.exec(pathOrKey.replaceAll('\\', '/'));
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(t) ? undefined : t;
}
