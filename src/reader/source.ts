import type { Readable } from 'node:stream';

/** One log file of some instance, wherever it is stored: published, or still being written. */
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
  /**
   * A `_` file still being written (`--include-open`): its gzip stream has no end yet, so a torn
   * tail (a deflate block or a line half written) is where the reading stops, not a problem.
   */
  readonly beingWritten?: boolean;
}

/** A place holding log files: a local root folder or an S3 bucket and prefix. */
export interface LogSource {
  readonly name: string;
  /** Every published file, and the files being written when the source can read them and was asked to. */
  list(): Promise<LogFileRef[]>;
  /** After list(): files being written that were left out (to be said on stderr). */
  readonly skippedOpenFiles?: number;
}
