import type { Server } from 'node:http';
import { Wt1Error } from '../errors.js';
import type { Processor } from './processors.js';

// The steps of a collector's start and ordered stop (src/server/app.ts runs them in order).

/**
 * Opens every storage engine (recovering a crash's leftovers); an unexpected failure becomes one clear
 * WT1_ERR_STORAGE_IO.
 */
export async function openEngines(processors: readonly Processor[]): Promise<void> {
  for (const p of processors) {
    if (p.kind !== 'storage') continue;
    try {
      await p.engine.open();
    } catch (error) {
      if (error instanceof Wt1Error) throw error;
      // e.g. rootDir not writable: one clear line from the CLI rather than a stack trace.
      throw new Wt1Error(
        'WT1_ERR_STORAGE_IO',
        `the ${p.engineName} storage engine cannot start: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}

/** After a failed start: the storage thread, like an open file, must not keep the process alive. */
export async function releaseEngines(processors: readonly Processor[]): Promise<void> {
  for (const p of processors) if (p.kind === 'storage') await p.engine.close().catch(() => {});
}

export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting and waits for in-flight requests; idle keep-alive sockets are closed as they become idle. */
export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
  await closed.finally(() => clearInterval(idleSweep));
}

/** Closes the engines (publishing the open file) and the handlers, in order. */
export async function closeProcessors(processors: readonly Processor[]): Promise<void> {
  for (const p of processors) {
    if (p.kind === 'storage') await p.engine.close();
    else await p.handler.close?.();
  }
}

/** Closes a server at once, its connections included (the metrics port, once the drain is over). */
export async function closeNow(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}
