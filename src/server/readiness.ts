import type { CollectorStatus } from './status.js';

export interface Readiness {
  /** True when every storage engine accepts events, none is stalled, and the collector is not shutting down. */
  readonly ready: boolean;
  readonly shuttingDown: boolean;
  /** Per storage processor: its engine's `ready()` (true when the engine does not tell). */
  readonly storage: Readonly<Record<string, boolean>>;
  /** Per storage processor: true while stalled (`storageStallTimeout`). */
  readonly stalled: Readonly<Record<string, boolean>>;
}

/**
 * Whether this instance should receive traffic, from the collector's status: what the engines say
 * (`StorageEngine.ready`, e.g. false while an object-storage spool is full or a broker is
 * unreachable past its buffer), the stall watchdog, and whether a shutdown has begun. Shared by
 * /ready and the wt1_ready metric.
 */
export function readiness(status: CollectorStatus): Readiness {
  const storage: Record<string, boolean> = {};
  const stalled: Record<string, boolean> = {};
  for (const p of status.processors) {
    if (p.kind !== 'storage') continue;
    storage[p.name] = p.ready;
    stalled[p.name] = p.stalled;
  }
  return { ready: status.ready, shuttingDown: status.shuttingDown, storage, stalled };
}
