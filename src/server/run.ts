import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { Wt1Error } from '../errors.js';
import { createCollector, type Collector, type CollectorOptions } from './app.js';
import type { ClusterLink } from './cluster-link.js';

export interface RunHooks {
  /** Called once the collector listens. */
  onListening?(port: number, collector: Collector): void;
  /** One worker of `wt1 serve --workers N`: how it reaches the views over every worker. */
  cluster?: ClusterLink;
  /**
   * Receives a function that starts the ordered shutdown, for stop requests other than signals
   * (the cluster primary's message). Unlike a second signal, calling it again never forces an exit.
   */
  onStopRequest?(requestStop: (reason: string) => void): void;
}

/**
 * Runs one collector until SIGTERM/SIGINT (or a stop request), then shuts it down in order within
 * `shutdownTimeout`. Resolves with the exit code: 0 after a complete drain, 1 otherwise.
 */
export async function runCollector(
  config: Config,
  logger: Logger,
  hooks: RunHooks = {},
  options: CollectorOptions = {},
): Promise<number> {
  const collector = createCollector(config, { ...options, logger, cluster: hooks.cluster });
  const port = await collector.start();
  hooks.onListening?.(port, collector);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (reason: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ reason, deadlineSeconds: config.shutdownTimeout }, 'shutting down: draining queues');
      // The platform kills the process at the end of its grace period anyway: exit first, saying
      // what is lost. The open file stays under its `_` name and is published by the next start.
      const deadline = setTimeout(() => {
        const error = new Wt1Error('WT1_ERR_SHUTDOWN_DEADLINE', `${config.shutdownTimeout} s`);
        const counters = collector.context.dispatcher.counters();
        const lostByProcessor = Object.fromEntries(Object.entries(counters).map(([name, c]) => [name, c.queued]));
        const lostEvents = Object.values(lostByProcessor).reduce((a, b) => a + b, 0);
        logger.error(
          { err: error, lostEvents, lostByProcessor, counters },
          `shutdown deadline passed: ${lostEvents} queued events lost; the open file is left for recovery at the ` +
            `next start`,
        );
        logger.flush();
        // Open sockets or a stuck engine would keep the process alive: the deadline is a promise.
        process.exit(1);
      }, config.shutdownTimeout * 1000);
      deadline.unref();
      collector.stop().then(
        () => {
          clearTimeout(deadline);
          resolve(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (++signals > 1) {
        logger.warn({ signal }, 'second signal: exiting at once');
        process.exit(130);
      }
      stop(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    hooks.onStopRequest?.(stop);
  });
}
