import type { AppContext } from './context.js';
import { formatTimestamp } from '../logfile/line-format.js';
import type { LiveProcessor, LiveSnapshot } from './live-types.js';

/**
 * The /internal/live document: every WT1 counter (global and per processor, with the original's
 * names), wt1's accounting counters (received = written + queued + dropped + failed per processor),
 * and the last 100 events, newest first.
 */
export function liveSnapshot(ctx: AppContext): LiveSnapshot {
  const processors: Record<string, LiveProcessor> = {};
  const handlers: Record<string, unknown> = {};
  let storageStats: Record<string, number> = {};
  for (const p of ctx.dispatcher.processors) {
    const c = p.queue.counters();
    const base = {
      ...c,
      // WT1 names
      queuedEvents: c.queued,
      lostInQueueEvents: c.dropped,
      processedEvents: c.written,
      processFailedEvents: c.failed,
    };
    if (p.kind === 'storage') {
      const stats = { ...p.engine.stats() };
      storageStats = stats;
      processors[p.name] = { kind: 'storage', ...base, engine: p.engineName, ready: p.engine.ready?.() ?? true, stats };
    } else {
      processors[p.name] = { kind: 'handler', ...base, handler: p.handlerKind };
      handlers[p.name] = p.handler.snapshot?.() ?? null;
    }
  }
  const now = ctx.now();
  return {
    instanceId: ctx.instanceId,
    serverTime: formatTimestamp(now),
    uptimeSeconds: Math.round((now - ctx.startedAt) / 1000),
    receivedEvents: ctx.dispatcher.received,
    savedEvents: storageStats.savedEvents ?? 0,
    createdFiles: storageStats.createdFiles ?? 0,
    savedEventsInputSize: storageStats.savedEventsInputSize ?? 0,
    savedEventsGZippedSize: storageStats.savedEventsGZippedSize ?? 0,
    processors,
    handlers,
    lastEvents: ctx.dispatcher.lastEvents().map((e) => ({
      ...e,
      serverTime: formatTimestamp(e.serverTS),
      clientTime: formatTimestamp(e.clientTS),
    })),
  };
}
