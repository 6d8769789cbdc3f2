/**
 * The storage thread's entry point (a worker_thread started by storage-thread.ts). It builds the events of
 * the pixel hits it receives, hands them to the configured engine one at a time, in order, exactly
 * as the BoundedQueue does on the request thread, and reports its totals back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { TrackedEvent } from '../event/event.js';
import { eventFromHit, type HitFields } from '../event/pixel-hit.js';
import { Wt1Error } from '../errors.js';
import { createEngine, findEngine } from '../storage/registry.js';
import { failureLogger } from '../queue/failure-log.js';
import { GroupCommit } from './group-commit.js';
import { durableSpoolFor } from './spool-setup.js';
import { InputParser } from './input-parser.js';
import {
  decodeRecord,
  nextRecord,
  STATUS_INTERVAL_MS,
  type FromStorage,
  type ParseRequest,
  type StorageStatus,
  type StorageThreadData,
  type ThreadError,
  type ToStorage,
} from './protocol.js';

const port = parentPort!;
const data = workerData as StorageThreadData;
const post = (message: FromStorage): void => port.postMessage(message);

// Lines go to the request thread's logger (one stream, its format, and tests can capture them).
const logger = pino(
  { level: data.logLevel, base: undefined, timestamp: false },
  { write: (line: string) => post({ type: 'log', line }) },
);
// The request thread checked the engine name already.
const engine = createEngine(findEngine(data.config.storage.engine)!, data.config, {
  logger,
  instanceId: data.instanceId,
  now: Date.now,
});
const logFailure = failureLogger(logger);
const inputParser = new InputParser(data.config, data.visitorIdSecret ?? data.config.visitorIdSalt);

let written = 0;
let failed = 0;
/** Events are written only between a successful open and close (a new thread whose open failed gets some). */
let engineOpen = false;
const NOT_OPEN = new Wt1Error('WT1_ERR_STORAGE_IO', 'the storage engine is not open');
const SPOOL_REFUSED = new Wt1Error(
  'WT1_ERR_SPOOL_FULL',
  'the durable spool is full (durable.maxSpoolBytes) or failing',
);

// ackMode=durable: an engine that sends elsewhere gets the write-ahead spool; the group commit syncs the
// engine's files or the spool's; the syncs not yet reported.
const spool = durableSpoolFor(engine, data, logger, () => post({ type: 'status', ...status() }));
let syncs: number[] = [];
const commit =
  data.config.ackMode === 'durable'
    ? new GroupCommit(spool ? () => spool.sync() : () => engine.sync!(), (group, ms) => {
        syncs.push(ms, group);
        post({ type: 'status', ...status() });
      })
    : undefined;

const status = (): StorageStatus => {
  let ready: boolean;
  try {
    ready = engine.ready?.() ?? true;
  } catch {
    ready = false;
  }
  if (commit === undefined) return { written, failed, stats: engine.stats(), ready };
  const durable = {
    synced: commit.synced,
    unsafe: commit.unsafe,
    syncs,
    spoolBytes: spool?.bytes,
    spoolFull: spool?.full,
  };
  syncs = [];
  if (spool === undefined) return { written, failed, stats: engine.stats(), ready, durable };
  // With the spool the engine's own readiness (its buffer full while its server is away) does not stop
  // events: the spool takes them; only a full or failing spool does.
  return {
    written,
    failed,
    stats: { ...engine.stats(), ...spool.stats() },
    ready: !spool.full && !spool.failing,
    durable,
  };
};

function onFailure(error: unknown): void {
  failed++;
  logFailure('storage', error);
}

// What the record being handled returned: the engine's backpressure promise, if any. Module-level
// handlers (no closure per record) write each record as soon as it is decoded: nothing of a batch
// is held, so the small young generation's scavenges find almost nothing alive.
let pending: void | Promise<void>;
const writeHit = (hit: HitFields): void => {
  pending = engine.write(eventFromHit(hit, data.hitIdPrefix));
};
const writeEvent = (event: TrackedEvent): void => {
  pending = engine.write(event);
};

async function writeBatch(records: readonly unknown[]): Promise<void> {
  if (spool) await spoolBatch(records);
  else {
    for (let i = 0; i < records.length; ) {
      const at = i;
      i = nextRecord(records, at); // first: a record that throws is counted and skipped
      pending = undefined;
      try {
        if (!engineOpen) throw NOT_OPEN;
        decodeRecord(records, at, writeHit, writeEvent);
        if (pending !== undefined) await pending;
        written++;
      } catch (error) {
        onFailure(error);
      }
    }
  }
  commit?.advance(written + failed);
  post({ type: 'status', ...status() });
}

/** With the spool: the batch's events appended to it; the spool writes them to the engine. */
async function spoolBatch(records: readonly unknown[]): Promise<void> {
  const events: TrackedEvent[] = [];
  const push = (event: TrackedEvent): void => {
    events.push(event);
  };
  for (let i = 0; i < records.length; ) {
    const at = i;
    i = nextRecord(records, at);
    try {
      decodeRecord(records, at, (hit) => push(eventFromHit(hit, data.hitIdPrefix)), push);
    } catch (error) {
      onFailure(error);
    }
  }
  const kept = engineOpen ? await spool!.append(events) : 0;
  written += kept;
  for (let i = kept; i < events.length; i++) onFailure(engineOpen ? SPOOL_REFUSED : NOT_OPEN);
}

async function call(id: number, method: 'open' | 'flush' | 'barrier' | 'close'): Promise<void> {
  let value: unknown;
  let error: ThreadError | undefined;
  try {
    if (method === 'open') {
      if (commit && engine.sync === undefined && spool === undefined)
        throw new Wt1Error(
          'WT1_ERR_CONFIG_INVALID',
          `ackMode: durable is not available with the ${data.config.storage.engine} engine`,
        );
      await spool?.open();
      await engine.open();
      spool?.start();
      engineOpen = true;
    } else if (method === 'flush') {
      await spool?.drain(data.config.shutdownTimeout * 500);
      value = await engine.flush();
    } else if (method === 'close') {
      clearInterval(statusTimer);
      engineOpen = false;
      // What the engine cannot confirm in time stays in the spool for the next start.
      await spool?.drain(data.config.shutdownTimeout * 400);
      spool?.stop();
      await engine.close();
      await spool?.close();
      commit?.settleAll(written + failed); // closed files are synced before their close
    }
    // 'barrier': every message before it has been handled, nothing to do.
  } catch (e) {
    error = { message: e instanceof Error ? e.message : String(e), code: e instanceof Wt1Error ? e.code : undefined };
  }
  post({ type: 'reply', id, value, error, ...status() });
}

// One message at a time, in order: a batch's writes finish before the next batch or call starts.
const inbox: Exclude<ToStorage, ParseRequest>[] = [];
let running = false;
async function run(): Promise<void> {
  running = true;
  for (let message = inbox.shift(); message !== undefined; message = inbox.shift()) {
    if (message.type === 'events') await writeBatch(message.records);
    else await call(message.id, message.method);
  }
  running = false;
}
port.on('message', (message: ToStorage) => {
  // Parsing for the request thread is answered at once, not behind the batches being written.
  if (message.type === 'parse') return post(inputParser.parse(message));
  inbox.push(message);
  if (!running) void run();
});

// Readiness and stats move on their own (an upload finishing, a broker coming back).
const statusTimer = setInterval(() => post({ type: 'status', ...status() }), STATUS_INTERVAL_MS);
statusTimer.unref();
