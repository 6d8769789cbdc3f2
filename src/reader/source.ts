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
