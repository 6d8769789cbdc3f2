import type { AppContext } from './context.js';

/**
 * Publishes the open file of every storage engine of this collector, once the events received
 * before the call are in it (/internal/flush). Resolves with the published names.
 */
export async function flushLocal(ctx: Pick<AppContext, 'dispatcher'>): Promise<string[]> {
  const published: string[] = [];
  for (const p of ctx.dispatcher.processors) {
    if (p.kind !== 'storage') continue;
    await p.queue.barrier(); // events received before the flush go into the flushed file
    published.push(...(await p.engine.flush()).published);
  }
  return published;
}

/** The snapshot of handler `name` (null when it has none), or undefined when there is no such handler. */
export function handlerSnapshot(ctx: Pick<AppContext, 'dispatcher'>, name: string): { snapshot: unknown } | undefined {
  const processor = ctx.dispatcher.processors.find((p) => p.kind === 'handler' && p.name === name);
  if (!processor || processor.kind !== 'handler') return undefined;
  return { snapshot: processor.handler.snapshot?.() ?? null };
}
