import type { Config } from '../config/schema.js';
import { createLogger } from '../log.js';
import { runCollector } from '../server/run.js';
import { isPrimaryMessage, type WorkerMessage } from './messages.js';
import { WorkerLink } from './worker-link.js';

/**
 * One worker of `wt1 serve --workers N`: a complete collector (queues, engine, files) under the
 * instance id of its slot (`config` is loaded with workerOverrides). Opening the engine recovers the `_` files of dead
 * writers of this host, so the replacement of a crashed worker publishes what its predecessor had flushed. Its
 * /internal/live, /metrics, /internal/flush and handler views are asked of the primary, which gathers every worker's
 * (WorkerLink). Stops in order when the primary asks, or when the primary itself is gone.
 */
export async function runWorker(slot: number, config: Config): Promise<number> {
  const logger = createLogger({ level: config.logLevel, format: config.logFormat }).child({ worker: slot });
  const send = (message: WorkerMessage, sent?: () => void): void => {
    if (process.connected && process.send) process.send(message, undefined, {}, () => sent?.());
    else sent?.();
  };
  const link = new WorkerLink(send, config.shutdownTimeout * 1000);
  process.on('message', (m: unknown) => {
    if (isPrimaryMessage(m)) link.onMessage(m);
  });
  process.on('disconnect', () => link.disconnected());
  const code = await runCollector(config, logger, {
    cluster: link,
    onListening(port, collector) {
      link.attach(collector.context);
      send({ wt1: 'listening', slot, port, instanceId: config.instanceId });
    },
    onStopRequest(requestStop) {
      process.on('message', (m: unknown) => {
        if (isPrimaryMessage(m) && m.wt1 === 'stop') requestStop('primary');
      });
      process.on('disconnect', () => requestStop('primary gone'));
    },
  }).catch((error: unknown) => {
    // A worker that cannot start (port taken...): the IPC channel must not keep it alive once the
    // CLI has reported the error, so that it exits like a single process and the primary sees it.
    process.channel?.unref();
    throw error;
  });
  // Its final counts go to the primary, which keeps them for the slot's totals.
  await link.detach();
  // The IPC channel would keep this process alive: leave now that everything is drained.
  process.exit(code);
}
