import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { EventQueue, QueueCounters } from '../queue/event-queue.js';
import { QueueBound } from '../queue/queue-bound.js';
import { HIT_ID_PREFIX, itemBytes, type Trackable } from '../event/pixel-hit.js';
import { ERRORS, Wt1Error, type ErrorCode } from '../errors.js';
import type { FlushResult, StorageEngine } from '../storage/engine.js';
import { DurableAcks } from './durable-acks.js';
import {
  encodeRecord,
  type FromStorage,
  type StorageStatus,
  type StorageThreadData,
  type ThreadError,
  type ToStorage,
} from './protocol.js';
import { RingBuffer } from '../util/ring-buffer.js';
import { ParseCalls, type ParseJob } from './parse-calls.js';
import type { ParsedRequest } from '../inputs/input.js';
import { PROCESS_VISITOR_SECRET } from '../inputs/visitor-hash.js';

/**
 * A batch goes to the storage thread when it holds this many events, or at the end of the
 * event-loop turn that started it (setImmediate): the hits of the requests answered in one turn
 * travel together. Measured against a 1 or 2 ms timer, steady small batches spread the storage work
 * evenly and take fewer µs of the request thread (docs/benchmarks.md).
 */
const BATCH_EVENTS = 512;
const YOUNG_GENERATION_MB = 4;
/** A storage thread that died is started again after this long. */
const RESTART_DELAY_MS = 1000;

type Call = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/**
 * The storage engine on its own thread (`storageThread=true`, the default). On the request thread
 * this is both the processor's queue and its engine: `offer` only appends the raw hit to a batch
 * (a few hundred nanoseconds); the storage thread (worker.ts) parses each hit, writes it
 * with the configured engine, compresses, and reports its totals. The queue bound is the same as
 * on one thread: at most `capacity` events offered and not yet written or failed; past it, events
 * are dropped and counted here, so `received = written + queued + dropped + failed` still holds.
 */
export class StorageThread implements EventQueue, Omit<StorageEngine, 'write'> {
  readonly takesHits = true;
  private worker: Worker | undefined;
  private records: unknown[] = [];
  private batched = 0;
  private sendScheduled: NodeJS.Immediate | undefined;
  private received = 0;
  private dropped = 0;
  /** Events posted to the current thread, and its last report. */
  private sent = 0;
  private status: StorageStatus = { written: 0, failed: 0, stats: {}, ready: true };
  /**
   * `ackMode=durable`: the waiters, and the progress of the threads that came before the current
   * one (every event they were sent is final: on disk, or lost with them and so unsafe).
   */
  private readonly acks: DurableAcks | undefined;
  private finalBefore = 0;
  private unsafeBefore = 0;
  /** Totals of threads that came before the current one (after a crash), lost events included. */
  private writtenBefore = 0;
  private failedBefore = 0;
  private readonly calls = new Map<number, Call>();
  private readonly parses = new ParseCalls();
  private nextCallId = 1;
  private closing = false;
  private opened = false;
  /**
   * The queue bound: events offered and not yet written or failed (in the batch, on the way, or in
   * the thread), and their text. `maxQueueBytes` accounting (0: none): the text of the batch being
   * filled, and of the batches posted to the thread and not yet reported done ({count, bytes} in
   * order; `settled` counts the events of the batches already released).
   */
  private readonly bound: QueueBound;
  private batchBytes = 0;
  private threadBytes = 0;
  private readonly inThread = new RingBuffer<{ count: number; bytes: number }>();
  private settled = 0;

  constructor(
    readonly capacity: number,
    private readonly options: {
      readonly config: Config;
      readonly instanceId: string;
      readonly logger: Logger;
      /** Called when a thread started after a crash has opened its engine (isolateRequestThread). */
      readonly onThreadStarted?: () => void;
      /** `ackMode=durable`: each sync of the group commit (duration in ms, events in the group). */
      readonly onSync?: (ms: number, group: number) => void;
    },
  ) {
    this.bound = new QueueBound(capacity, options.config.maxQueueBytes);
    this.acks = options.config.ackMode === 'durable' ? new DurableAcks() : undefined;
  }

  offer(item: Trackable, admitted = false): boolean {
    if (this.closing) {
      // After close, as an engine on this thread would throw: counted as failed.
      this.received++;
      this.failedBefore++;
      return false;
    }
    const size = this.bound.tracksBytes ? itemBytes(item) : 0;
    this.received++;
    if (!admitted && !this.bound.fits(1, size)) {
      this.dropped++;
      return false;
    }
    this.bound.take(1, size);
    this.acks?.take();
    this.batchBytes += size;
    encodeRecord(this.records, item);
    if (++this.batched >= BATCH_EVENTS) this.send();
    else this.sendScheduled ??= setImmediate(this.send);
    return true;
  }

  /**
   * `inputParsing=storageThread`: parses a request of an input on the storage thread; undefined when
   * no thread runs (the caller parses it itself). Admission stays the caller's, on its thread.
   */
  parse(job: ParseJob): Promise<ParsedRequest> | undefined {
    if (this.worker === undefined || this.closing) return undefined;
    return this.parses.start(job, (message) => this.post(message));
  }

  /** `ackMode=durable`: true once every event offered so far is on disk, false if one may not be. */
  whenDurable(): Promise<boolean> {
    return this.acks ? this.acks.wait() : Promise.resolve(true);
  }

  fits(count: number, bytes: number): boolean {
    // ackMode=durable: a full write-ahead spool refuses whole messages (503) until the engine confirms some.
    return !this.closing && this.status.durable?.spoolFull !== true && this.bound.fits(count, bytes);
  }

  barrier(): Promise<void> {
    return this.call('barrier').then(() => undefined);
  }

  counters(): QueueCounters {
    const written = this.writtenBefore + this.status.written;
    const failed = this.failedBefore + this.status.failed;
    return {
      received: this.received,
      queued: this.queued(),
      written,
      dropped: this.dropped,
      failed,
      capacity: this.capacity,
    };
  }

  /** Offered and not yet written or failed: in the batch, on the way, or in the thread. */
  private queued(): number {
    return this.bound.count;
  }

  async open(): Promise<void> {
    this.startThread();
    try {
      await this.call('open');
      this.opened = true;
    } catch (error) {
      this.closing = true;
      await this.worker?.terminate();
      throw error;
    }
  }

  async flush(): Promise<FlushResult> {
    return (await this.call('flush')) as FlushResult;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    const closed = this.call('close');
    this.closing = true; // no more offers: the call above already took the last batch
    try {
      await closed;
    } catch (error) {
      // No thread took the batch (it died, or a new one was not started yet): those events are lost.
      this.failedBefore += this.batched;
      this.bound.release(this.batched, this.batchBytes);
      this.finalBefore += this.batched;
      this.unsafeBefore += this.batched;
      this.updateAcks();
      this.records = [];
      this.batched = 0;
      this.batchBytes = 0;
      throw error;
    } finally {
      await this.worker?.terminate();
    }
  }

  stats(): Readonly<Record<string, number>> {
    return this.status.stats;
  }

  ready(): boolean {
    return this.worker !== undefined && this.status.ready;
  }

  private startThread(): void {
    const data: StorageThreadData = {
      config: this.options.config,
      instanceId: this.options.instanceId,
      hitIdPrefix: HIT_ID_PREFIX,
      logLevel: this.options.logger.level,
      visitorIdSecret: this.options.config.visitorIdSalt || PROCESS_VISITOR_SECRET,
    };
    // A small young generation: the thread's garbage is short-lived batches, and V8's default
    // (up to 48 MB per isolate) would cost ~15 MB of resident memory for no measurable speed.
    const worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    worker.on('message', (message: FromStorage) => this.onMessage(message));
    worker.on('error', (error) => this.options.logger.error({ err: error }, 'the storage thread failed'));
    worker.on('exit', (code) => this.onExit(worker, code));
    this.worker = worker;
    this.sent = 0;
    this.status = { written: 0, failed: 0, stats: this.status.stats, ready: true };
    this.forgetThreadBatches();
  }

  /** The batches of a thread that ended (or of none yet) hold nothing any more. */
  private forgetThreadBatches(): void {
    this.bound.release(0, this.threadBytes);
    this.inThread.clear();
    this.threadBytes = 0;
    this.settled = 0;
  }

  /** Releases the bytes of the batches the thread has reported done (written or failed). */
  private releaseDoneBatches(): void {
    const done = this.status.written + this.status.failed;
    while (this.inThread.length > 0 && this.settled + this.inThread.peek()!.count <= done) {
      const batch = this.inThread.shift()!;
      this.settled += batch.count;
      this.threadBytes -= batch.bytes;
      this.bound.release(0, batch.bytes);
    }
  }

  /** Posts the current batch. An arrow: it is also the setImmediate callback. */
  private readonly send = (): void => {
    if (this.sendScheduled !== undefined) {
      clearImmediate(this.sendScheduled);
      this.sendScheduled = undefined;
    }
    if (this.batched === 0 || this.worker === undefined) return;
    this.post({ type: 'events', records: this.records });
    this.sent += this.batched;
    if (this.bound.tracksBytes) {
      this.inThread.push({ count: this.batched, bytes: this.batchBytes });
      this.threadBytes += this.batchBytes;
      this.batchBytes = 0;
    }
    this.records = [];
    this.batched = 0;
  };

  private call(method: 'open' | 'flush' | 'barrier' | 'close'): Promise<unknown> {
    if (this.worker === undefined)
      return Promise.reject(new Wt1Error('WT1_ERR_STORAGE_IO', 'the storage thread is not running'));
    // Events offered before the call are handled before it; but a new thread must open its engine
    // before it gets any (the restart sends them once open has answered).
    if (method !== 'open') this.send();
    const id = this.nextCallId++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.post({ type: 'call', id, method });
    });
  }

  private post(message: ToStorage): void {
    this.worker!.postMessage(message);
  }

  private onMessage(message: FromStorage): void {
    if (message.type === 'log') return this.relog(message.line);
    if (message.type === 'parsed') return this.parses.settle(message, rebuildError);
    // Events the thread finished since its last report leave the bound.
    this.bound.release(message.written + message.failed - this.status.written - this.status.failed, 0);
    this.status = {
      written: message.written,
      failed: message.failed,
      stats: message.stats,
      ready: message.ready,
      durable: message.durable,
    };
    if (this.inThread.length > 0) this.releaseDoneBatches();
    if (message.durable) {
      const syncs = message.durable.syncs;
      if (this.options.onSync) for (let i = 0; i < syncs.length; i += 2) this.options.onSync(syncs[i], syncs[i + 1]);
      this.updateAcks();
    }
    if (message.type !== 'reply') return;
    const call = this.calls.get(message.id);
    this.calls.delete(message.id);
    if (message.error) call?.reject(rebuildError(message.error));
    else call?.resolve(message.value);
  }

  /** A line logged on the storage thread, logged again here (pino JSON, without time or pid). */
  private relog(line: string): void {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const { level, msg, ...fields } = entry;
    const label = this.options.logger.levels.labels[level as number] as 'info' | undefined;
    if (label !== undefined) this.options.logger[label](fields, typeof msg === 'string' ? msg : '');
  }

  /**
   * The thread ended. Expected once close has answered; otherwise it crashed: the events it held
   * are lost and counted as failed, pending calls (a close too) fail, and unless closing, a new
   * thread starts (its open recovers the files).
   */
  private onExit(worker: Worker, code: number): void {
    if (worker !== this.worker || (this.closing && this.calls.size === 0)) return;
    const lost = this.sent - this.status.written - this.status.failed;
    // Durable: every event sent to the dead thread is final now; those not synced are unsafe.
    const synced = this.status.durable?.synced ?? 0;
    this.finalBefore += this.sent;
    this.unsafeBefore += this.status.failed + (this.status.durable?.unsafe ?? 0) + this.sent - synced;
    this.writtenBefore += this.status.written;
    this.failedBefore += this.status.failed + lost;
    this.bound.release(lost, 0);
    this.worker = undefined;
    this.sent = 0;
    this.status = { written: 0, failed: 0, stats: this.status.stats, ready: false };
    this.forgetThreadBatches();
    this.updateAcks();
    for (const call of this.calls.values())
      call.reject(new Wt1Error('WT1_ERR_STORAGE_IO', `the storage thread exited (code ${code})`));
    // Retryable: nothing of those requests was queued.
    this.parses.failAll(new Wt1Error('WT1_ERR_OVERLOADED', 'the storage thread exited while parsing the request'));
    this.calls.clear();
    const restart = this.opened && !this.closing;
    this.options.logger.error(
      { exitCode: code, lostEvents: lost },
      `the storage thread exited: its queued events are counted as failed${restart ? '; starting a new one' : ''}`,
    );
    if (restart) setTimeout(this.restart, RESTART_DELAY_MS).unref();
  }

  private updateAcks(): void {
    this.acks?.update(
      this.finalBefore + (this.status.durable?.synced ?? 0),
      this.unsafeBefore + this.status.failed + (this.status.durable?.unsafe ?? 0),
    );
  }

  /** Starts a new thread after a crash; if its engine cannot open, that thread ends and this runs again. */
  private readonly restart = (): void => {
    if (this.closing) return;
    this.startThread();
    const worker = this.worker!;
    this.call('open').then(
      () => {
        this.send();
        this.options.onThreadStarted?.();
      },
      (error: unknown) => {
        this.options.logger.error({ err: error }, 'the new storage thread cannot open the engine');
        void worker.terminate(); // onExit: counted, then another try
      },
    );
  };
}

function rebuildError(error: ThreadError): Error {
  const code = error.code as ErrorCode | undefined;
  if (code === undefined || !(code in ERRORS)) return new Error(error.message);
  const prefix = ERRORS[code].message + ': ';
  return new Wt1Error(code, error.message.startsWith(prefix) ? error.message.slice(prefix.length) : undefined);
}
