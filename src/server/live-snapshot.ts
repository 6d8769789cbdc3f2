import type { AppContext } from './context.js';
import { formatTimestamp } from '../logfile/line-format.js';
import type { TrackedEvent } from '../event/event.js';
import type { LiveEvent, LiveProcessor, LiveRequest, LiveSnapshot, Wt1LiveStats } from './live-types.js';
import type { CollectorStatus, ProcessorStatus } from './status.js';
import { storageStatuses } from './status.js';
import { capLiveStrings } from './live-cap.js';

/**
 * The /internal/live document, from the collector's status and its last events: every counter
 * (global and per processor, wt1's and the original's names), the last 100 events newest first
 * (every string capped, see live-cap.ts), and the original WT1's own keys beside them:
 * `lastRequests` and `stats`, with the original's meanings (times in epoch ms).
 */
export function liveSnapshot(ctx: Pick<AppContext, 'status' | 'dispatcher'>): LiveSnapshot {
  const status = ctx.status();
  const processors: Record<string, LiveProcessor> = {};
  const handlers: Record<string, unknown> = {};
  for (const p of status.processors) {
    processors[p.name] = liveProcessor(p);
    if (p.kind === 'handler') handlers[p.name] = p.snapshot;
  }
  const storageStats = storageStatuses(status)[0]?.stats ?? {};
  const events = ctx.dispatcher.lastEvents().map(capLiveStrings);
  return {
    instanceId: status.instanceId,
    serverTime: formatTimestamp(status.time),
    uptimeSeconds: Math.round((status.time - status.startedAt) / 1000),
    receivedEvents: status.receivedEvents,
    savedEvents: storageStats.savedEvents ?? 0,
    createdFiles: storageStats.createdFiles ?? 0,
    savedEventsInputSize: storageStats.savedEventsInputSize ?? 0,
    savedEventsGZippedSize: storageStats.savedEventsGZippedSize ?? 0,
    processors,
    handlers,
    lastEvents: events.map(liveEvent),
    lastRequests: events.map(lastRequest),
    stats: wt1Stats(status),
  };
}

function liveProcessor(p: ProcessorStatus): LiveProcessor {
  const c = p.counters;
  const base = {
    ...c,
    // WT1 names
    queuedEvents: c.queued,
    lostInQueueEvents: c.dropped,
    processedEvents: c.written,
    processFailedEvents: c.failed,
    ...(p.error ? { error: p.error } : {}),
  };
  if (p.kind === 'storage')
    return { kind: 'storage', ...base, engine: p.engine, ready: p.ready, stalled: p.stalled, stats: p.stats };
  return { kind: 'handler', ...base, handler: p.handler };
}

function liveEvent(e: TrackedEvent): LiveEvent {
  return { ...e, serverTime: formatTimestamp(e.serverTS), clientTime: formatTimestamp(e.clientTS) };
}

/** One entry of the original's `lastRequests`. */
function lastRequest(e: TrackedEvent): LiveRequest {
  return {
    origAddress: e.origAddress,
    visitorId: e.visitorId,
    sessionId: e.sessionId,
    globalVisitorId: e.globalVisitorId,
    browserWidth: e.browserWidth,
    browserHeight: e.browserHeight,
    screenWidth: e.screenWidth,
    screenHeight: e.screenHeight,
    type: e.type,
    serverTS: e.serverTS,
    clientTS: e.clientTS,
    eventParams: e.eventParams,
  };
}

/** The original's `stats`: its global counters, its storage queue and each handler's queue. */
function wt1Stats(status: CollectorStatus): Wt1LiveStats {
  const queueOf = (p: ProcessorStatus) => ({
    name: p.kind === 'storage' ? p.engine : p.name,
    queuedEvents: p.counters.queued,
    lostInQueueEvents: p.counters.dropped,
    processedEvents: p.counters.written,
    processFailedEvents: p.counters.failed,
  });
  const storage = storageStatuses(status)[0];
  const stats = storage?.stats ?? {};
  return {
    receivedEvents: status.receivedEvents,
    savedEvents: stats.savedEvents ?? 0,
    createdFiles: stats.createdFiles ?? 0,
    savedEventsInputSize: stats.savedEventsInputSize ?? 0,
    savedEventsGZippedSize: stats.savedEventsGZippedSize ?? 0,
    storage: storage
      ? queueOf(storage)
      : { name: '', queuedEvents: 0, lostInQueueEvents: 0, processedEvents: 0, processFailedEvents: 0 },
    handlers: status.processors.filter((p) => p.kind === 'handler').map(queueOf),
  };
}
