import type { TrackedEvent } from '../event/event.js';

// The /internal/live document, as liveSnapshot builds it and as the live page (live-page/page/,
// compiled for the browser) reads it. Types only: the page imports them with `import type`, so no
// server code reaches the browser. Keep this file free of Node types (the page's tsconfig has none).

/** Counters of one processor: wt1's (received = written + queued + dropped + failed), then WT1's names. */
export interface LiveCounters {
  readonly received: number;
  readonly queued: number;
  readonly written: number;
  readonly dropped: number;
  readonly failed: number;
  readonly capacity: number;
  readonly queuedEvents: number;
  readonly lostInQueueEvents: number;
  readonly processedEvents: number;
  readonly processFailedEvents: number;
  /** What a plugin call (`stats`, `ready`, `snapshot`) threw, when one did. */
  readonly error?: string;
}

export interface LiveStorageProcessor extends LiveCounters {
  readonly kind: 'storage';
  /** The engine's name (`fs`, `s3`...). */
  readonly engine: string;
  readonly ready: boolean;
  /** Events queued and none finished for `storageStallTimeout` seconds. */
  readonly stalled: boolean;
  /** The engine's own counters (savedEvents, createdFiles, spoolFiles...). */
  readonly stats: Readonly<Record<string, number>>;
}

export interface LiveHandlerProcessor extends LiveCounters {
  readonly kind: 'handler';
  /** The handler's kind (`counter`...). */
  readonly handler: string;
}

export type LiveProcessor = LiveStorageProcessor | LiveHandlerProcessor;

/** One of the last events, with its times formatted (`YYYY-MM-DDTHH:mm:ss.SSS`, UTC). */
export interface LiveEvent extends TrackedEvent {
  readonly serverTime: string;
  readonly clientTime: string;
}

/**
 * One worker of `wt1 serve --workers N` (src/cluster/aggregate.ts): what the primary knows of its
 * slot, and that worker's own top-level counters (receivedEvents, savedEvents...).
 */
export interface LiveWorker {
  readonly name: string;
  readonly slot: number;
  readonly pid?: number;
  readonly instanceId?: string;
  readonly state: 'starting' | 'running' | 'restarting' | 'stopping';
  readonly restarts: number;
  /** False when the worker did not answer this time (its counters are the last it sent). */
  readonly answered: boolean;
  readonly error?: string;
  readonly receivedEvents?: number;
  readonly savedEvents?: number;
  readonly createdFiles?: number;
  /** The counts of the slot's earlier processes (replaced after they died), kept in the totals. */
  readonly previousProcesses?: Readonly<Record<string, number>>;
}

/** One entry of the original WT1's `lastRequests` (times in epoch ms). */
export interface LiveRequest {
  readonly origAddress: string;
  readonly visitorId: string;
  readonly sessionId: string;
  readonly globalVisitorId: string | null;
  readonly browserWidth: number;
  readonly browserHeight: number;
  readonly screenWidth: number;
  readonly screenHeight: number;
  readonly type: string | null;
  readonly serverTS: number;
  readonly clientTS: number;
  readonly eventParams: string | null;
}

/** A processing queue in the original WT1's `stats`. */
export interface Wt1QueueStats {
  readonly name: string;
  readonly queuedEvents: number;
  readonly lostInQueueEvents: number;
  readonly processedEvents: number;
  readonly processFailedEvents: number;
}

/** The original WT1's `stats`. */
export interface Wt1LiveStats {
  readonly receivedEvents: number;
  readonly savedEvents: number;
  readonly createdFiles: number;
  readonly savedEventsInputSize: number;
  readonly savedEventsGZippedSize: number;
  readonly storage: Wt1QueueStats;
  readonly handlers: readonly Wt1QueueStats[];
}

export interface LiveSnapshot {
  readonly instanceId: string;
  /** `YYYY-MM-DDTHH:mm:ss.SSS`, UTC. */
  readonly serverTime: string;
  readonly uptimeSeconds: number;
  readonly receivedEvents: number;
  /** The storage engine's WT1 counters (0 when it has none). */
  readonly savedEvents: number;
  readonly createdFiles: number;
  readonly savedEventsInputSize: number;
  readonly savedEventsGZippedSize: number;
  readonly processors: Readonly<Record<string, LiveProcessor>>;
  /** Each handler's JSON snapshot (null when it has none). */
  readonly handlers: Readonly<Record<string, unknown>>;
  /** The last 100 events, newest first. */
  readonly lastEvents: readonly LiveEvent[];
  /** The original WT1's keys, with its meanings: the last events (newest first) and its counters. */
  readonly lastRequests: readonly LiveRequest[];
  readonly stats: Wt1LiveStats;
  /** With `--workers N`: the counters above are the sums over the workers, listed here. */
  readonly cluster?: { readonly workers: number; readonly answered: number };
  readonly workers?: readonly LiveWorker[];
}
