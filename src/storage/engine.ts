import type { Logger } from 'pino';
import type { TrackedEvent } from '../event/event.js';
import type { ParamsOf, SpecTable } from '../config/spec.js';
import type { Config } from '../config/schema.js';

/**
 * The contract of a storage engine: one file under src/storage/ implementing it, plus one line in
 * registry.ts. The queue calls `write` for one event at a time, in order, never concurrently; a
 * returned promise is awaited before the next call (that is how an engine applies backpressure).
 * A thrown error or rejected promise counts that one event as failed; the next event is still written.
 */
export interface StorageEngine {
  /** Prepare to accept events (create folders, recover leftovers of a crash, connect). */
  open(): Promise<void>;
  /**
   * `id`: only from the write-ahead spool of ackMode=durable (see `confirmed`): the message id to send
   * (stable across restarts, so a replay after a crash carries the same id). Without it: the engine's own.
   */
  write(event: TrackedEvent, id?: string): void | Promise<void>;
  /** Make everything written so far durable and visible now (close and publish the current file). */
  flush(): Promise<FlushResult>;
  /** Flush, then release every resource. Called once, after the last `write`. */
  close(): Promise<void>;
  /** Counters shown in /internal/live and /metrics (e.g. createdFiles, savedEventsGZippedSize). */
  stats(): Readonly<Record<string, number>>;
  /**
   * `ackMode=durable`: resolves once every event written so far is on this machine's disk (fs: sync
   * flush then fdatasync of the log file). Called by the group commit, never concurrently with
   * itself; writes may go on meanwhile. An engine without it gets the write-ahead spool instead.
   */
  sync?(): Promise<void>;
  /**
   * `ackMode=durable` for an engine that sends elsewhere (no `sync`): the write-ahead spool on the
   * storage thread keeps each event on local disk, writes it with `write(event, id)`, and removes it
   * from disk once this count covers it. Returns how many of the events accepted since `open` (a
   * `write` that returned, or whose promise resolved) have their final fate at the remote side,
   * counted in write order: acknowledged (stream ack, upload done) or refused for good (counted lost).
   * Never counts one that may still be sent again, nor one given up at `close` (the spool keeps it).
   * A `write` that throws or rejects did not accept its event: the spool writes it again later.
   */
  confirmed?(): number;
  /** False while the engine cannot accept events (e.g. spool full, broker away past its buffer). */
  ready?(): boolean;
}

export interface FlushResult {
  /** Names (paths or object keys) of the files published by this flush, if any. */
  published: string[];
}

export interface EngineContext {
  readonly config: Config;
  readonly logger: Logger;
  /** Instance name for file names and message ids (from config, or derived per process). */
  readonly instanceId: string;
  /** Column layout of log lines, fixed at start. */
  readonly columns: import('../logfile/line-format.js').LineColumns;
  /** Injected clock, so tests drive time without sleeping. */
  readonly now: () => number;
}

/** An engine: its params table (`as const satisfies SpecTable`) types the params it receives. */
export interface EngineDescriptor<P extends SpecTable = SpecTable> {
  /** Short name used in config (`storage.class=fs`). */
  readonly name: string;
  /** Class names of the original WT1 that map to this engine. */
  readonly wt1ClassNames: readonly string[];
  /** Params read from `storage.params.*`. */
  readonly params: P;
  /**
   * Problems between params that each parse alone (e.g. one key of a pair missing), as
   * `storage.params.KEY: what` lines; checked when the config is loaded, with the other problems.
   */
  validate?(params: ParamsOf<P>): string[];
  create(params: ParamsOf<P>, context: EngineContext): StorageEngine;
}
