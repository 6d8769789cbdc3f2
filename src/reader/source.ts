import type { Readable } from 'node:stream';

/** One published log file of some instance, wherever it is stored. */
export interface LogFileRef {
  /** What to call the file in messages: a path or `s3://bucket/key`. */
  readonly name: string;
  /**
   * The time in the file's name (`tracker/YYYY/MM/DD/HH/mm-ss...`, UTC, whole seconds): a file is
   * named when it is published, after its last event, so no event in it is a second later than this.
   * Undefined when the name does not follow the layout.
   */
  readonly nameTime: number | undefined;
  /** The gzip bytes of the file. */
  open(): Promise<Readable>;
}

/** A place holding log files: a local root folder or an S3 bucket and prefix. */
export interface LogSource {
  readonly name: string;
  /** Every published file (not the `_` temporaries). */
  list(): Promise<LogFileRef[]>;
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
