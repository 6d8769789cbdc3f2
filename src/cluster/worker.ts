import type { Config } from '../config/schema.js';
import { createLogger } from '../log.js';
import { runCollector } from '../cli/serve.js';
import { isPrimaryMessage, type WorkerMessage } from './messages.js';

/**
 * One worker of `wt1 serve --workers N`: a complete collector (queues, engine, files) under the
 * instance id of its slot (`config` is loaded with workerOverrides). Opening the engine recovers the `_` files of dead writers of this host,
 * so the replacement of a crashed worker publishes what its predecessor had flushed.
 * Stops in order when the primary asks, or when the primary itself is gone.
 */
export async function runWorker(slot: number, config: Config): Promise<number> {
  const logger = createLogger({ level: config.logLevel, format: config.logFormat }).child({ worker: slot });
  const code = await runCollector(config, logger, {
    onListening(port) {
      const message: WorkerMessage = { wt1: 'listening', slot, port, instanceId: config.instanceId };
      process.send?.(message);
    },
    onStopRequest(requestStop) {
      process.on('message', (m: unknown) => { if (isPrimaryMessage(m)) requestStop('primary'); });
      process.on('disconnect', () => requestStop('primary gone'));
    },
  }).catch((error: unknown) => {
    // A worker that cannot start (port taken...): the IPC channel must not keep it alive once the
    // CLI has reported the error, so that it exits like a single process and the primary sees it.
    process.channel?.unref();
    throw error;
  });
  // The IPC channel would keep this process alive: leave now that everything is drained.
  process.exit(code);
}
