import type { QueueCounters } from '../queue/event-queue.js';
import type { Processor } from './processors.js';

// The one status of a collector, read by /metrics, /internal/live and /ready. Plain data only
// (JSON-serialisable): the cluster primary gathers it from every worker. A new state (a stall, a
// spool...) is one more field here, filled in collectStatus.

interface ProcessorStatusBase {
  readonly name: string;
  readonly counters: QueueCounters;
  /** What a plugin call (`stats`, `ready`, `snapshot`) threw, when one did: the views show it and go on. */
  readonly error?: string;
}

export interface StorageStatus extends ProcessorStatusBase {
  readonly kind: 'storage';
  /** The engine's name (`fs`, `s3`...). */
  readonly engine: string;
  /** The engine's `ready()` (true when it does not tell; false when it throws). */
  readonly ready: boolean;
  /** Events queued and none written or failed for `storageStallTimeout` seconds. */
  readonly stalled: boolean;
  /** The engine's own counters (savedEvents, createdFiles...); {} when `stats()` throws. */
  readonly stats: Readonly<Record<string, number>>;
}

export interface HandlerStatus extends ProcessorStatusBase {
  readonly kind: 'handler';
  /** The handler's kind (`counter`...). */
  readonly handler: string;
  /** The handler's `snapshot()` (null when it has none or it throws; only when asked for). */
  readonly snapshot: unknown;
}

export type ProcessorStatus = StorageStatus | HandlerStatus;

export interface CollectorStatus {
  readonly instanceId: string;
  /** Epoch ms when the status was taken, and when the collector started. */
  readonly time: number;
  readonly startedAt: number;
  /** Events received (pixel and API) before any queue (WT1 receivedEvents). */
  readonly receivedEvents: number;
  /** API events refused whole by back-pressure. */
  readonly refusedEvents: number;
  /** ackMode=durable: events answered 503 because their write or sync failed. */
  readonly unconfirmedEvents: number;
  readonly shuttingDown: boolean;
  /** Every storage engine ready and not stalled, and no shutdown under way (maintenance is /ready's own). */
  readonly ready: boolean;
  readonly processors: readonly ProcessorStatus[];
}

/** What collectStatus reads: narrow, so tests and the cluster can give it anything that fits. */
export interface StatusSources {
  readonly instanceId: string;
  readonly startedAt: number;
  now(): number;
  readonly dispatcher: {
    readonly processors: readonly Processor[];
    readonly received: number;
    readonly refused: number;
    readonly unconfirmed: number;
  };
  readonly stalls: { stallOf(processor: string): unknown };
  isShuttingDown(): boolean;
}

/**
 * The status now. Every plugin call is guarded: an engine whose `stats()` or `ready()` throws, or a
 * handler whose `snapshot()` throws, is shown with `error` (and not ready), and the others as usual.
 * `snapshots: false` skips the handlers' snapshots (/metrics and /ready do not show them).
 */
export function collectStatus(src: StatusSources, options: { snapshots?: boolean } = {}): CollectorStatus {
  const processors: ProcessorStatus[] = [];
  let ready = true;
  for (const p of src.dispatcher.processors) {
    const counters = p.queue.counters();
    const errors: string[] = [];
    if (p.kind === 'storage') {
      const stats = guard(() => ({ ...p.engine.stats() }), {}, 'stats', errors);
      const engineReady = guard(() => p.engine.ready?.() ?? true, false, 'ready', errors);
      const stalled = src.stalls.stallOf(p.name) !== undefined;
      ready &&= engineReady && !stalled;
      processors.push({
        kind: 'storage',
        name: p.name,
        engine: p.engineName,
        counters,
        ready: engineReady,
        stalled,
        stats,
        ...errorField(errors),
      });
    } else {
      const snapshot =
        options.snapshots === false ? null : guard(() => p.handler.snapshot?.() ?? null, null, 'snapshot', errors);
      processors.push({
        kind: 'handler',
        name: p.name,
        handler: p.handlerKind,
        counters,
        snapshot,
        ...errorField(errors),
      });
    }
  }
  const shuttingDown = src.isShuttingDown();
  return {
    instanceId: src.instanceId,
    time: src.now(),
    startedAt: src.startedAt,
    receivedEvents: src.dispatcher.received,
    refusedEvents: src.dispatcher.refused,
    unconfirmedEvents: src.dispatcher.unconfirmed,
    shuttingDown,
    ready: ready && !shuttingDown,
    processors,
  };
}

function guard<T>(call: () => T, fallback: T, what: string, errors: string[]): T {
  try {
    return call();
  } catch (error) {
    errors.push(`${what}() threw: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500));
    return fallback;
  }
}

function errorField(errors: readonly string[]): { error?: string } {
  return errors.length === 0 ? {} : { error: errors.join('; ') };
}

/** The storage processors' status (the first one's WT1 counters are the collector's). */
export function storageStatuses(status: CollectorStatus): StorageStatus[] {
  return status.processors.filter((p): p is StorageStatus => p.kind === 'storage');
}
