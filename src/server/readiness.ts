import type { AppContext } from './context.js';

export interface Readiness {
  /** True when every storage engine accepts events and the collector is not shutting down. */
  readonly ready: boolean;
  readonly shuttingDown: boolean;
  /** Per storage processor: its engine's `ready()` (true when the engine does not tell). */
  readonly storage: Readonly<Record<string, boolean>>;
  /** Per storage processor: true while stalled (`storageStallTimeout`). */
  readonly stalled: Readonly<Record<string, boolean>>;
}

/**
 * Whether this instance should receive traffic, from what the engines say (`StorageEngine.ready`,
 * e.g. false while an object-storage spool is full or a broker is unreachable past its buffer) and
 * whether a shutdown has begun. Shared by /ready and the wt1_ready metric.
 */
export function readiness(ctx: Pick<AppContext, 'dispatcher' | 'isShuttingDown' | 'stalls'>): Readiness {
  const storage: Record<string, boolean> = {};
  const stalled: Record<string, boolean> = {};
  let allReady = true;
  for (const p of ctx.dispatcher.processors) {
    if (p.kind !== 'storage') continue;
    let ready: boolean;
    try {
      ready = p.engine.ready?.() ?? true;
    } catch {
      ready = false; // an engine that cannot even answer is not ready
    }
    storage[p.name] = ready;
    stalled[p.name] = ctx.stalls.stallOf(p.name) !== undefined;
    allReady &&= ready && !stalled[p.name];
  }
  const shuttingDown = ctx.isShuttingDown();
  return { ready: allReady && !shuttingDown, shuttingDown, storage, stalled };
}
