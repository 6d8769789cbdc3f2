import type { LiveSnapshot, LiveStorageProcessor } from '../../src/server/live-types.js';

/** The collector's /internal/live document. */
export async function live(url: string): Promise<LiveSnapshot> {
  return (await (await fetch(`${url}/internal/live`)).json()) as LiveSnapshot;
}

/** The storage processor of /internal/live: its queue counters, readiness and the engine's stats. */
export async function liveStorage(url: string): Promise<LiveStorageProcessor> {
  return (await live(url)).processors.storage as LiveStorageProcessor;
}
