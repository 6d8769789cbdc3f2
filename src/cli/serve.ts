import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { createCollector, type Collector } from '../server/app.js';
import type { ClusterLink } from '../server/cluster-link.js';
import { Wt1Error } from '../errors.js';
import type { Config } from '../config/schema.js';
import type { RawValue } from '../config/spec.js';
import { withoutSlot, workerOverrides, workerSlot } from '../cluster/worker-identity.js';

export const SERVE_USAGE = `Usage: wt1 serve [--config FILE] [--port N] [--host ADDR] [--workers N]

Runs the collector. FILE is a WT1 config.properties (Java properties) or a JSON file of the same
keys; without one, the embedded default is used (filesystem storage under ./data, port 8080).
Environment variables override file keys: WT1_<KEY> with __ between dotted segments, e.g.
WT1_MAX_QUEUE_SIZE=10000, WT1_STORAGE__PARAMS__ROOT_DIR=/var/wt1. PORT and HOST are honoured too.
--workers N (key workers) runs N worker processes sharing the port, each with its own queues,
files and instance id <instanceId or host>-w<slot>; see docs/scaling.md.`;

export async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      workers: { type: 'string', short: 'w' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(SERVE_USAGE + '\n');
    return 0;
  }
  const overrides: Record<string, RawValue> = {};
  if (values.port !== undefined) overrides.port = values.port;
  if (values.host !== undefined) overrides.host = values.host;
  if (values.workers !== undefined) overrides.workers = values.workers;
  // A worker has the slot variable and an IPC channel to its primary (the variable alone is not enough).
  const slot = process.send ? workerSlot(process.env) : undefined;
  const env = withoutSlot(process.env);
  const config = loadConfig({ file: values.config, env, overrides });

  if (slot !== undefined) {
    // A worker forked by the primary below: same config, its own instance id.
    const { runWorker } = await import('../cluster/worker.js');
    return runWorker(slot, loadConfig({ file: values.config, env, overrides: { ...overrides, ...workerOverrides(config, slot) } }));
  }
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  if (config.workers > 1) {
    const { runPrimary } = await import('../cluster/primary.js');
    return runPrimary(config, logger);
  }
  return runCollector(config, logger);
}

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
export async function runCollector(config: Config, logger: Logger, hooks: RunHooks = {}): Promise<number> {
  const collector = createCollector(config, { logger, cluster: hooks.cluster });
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
          `shutdown deadline passed: ${lostEvents} queued events lost; the open file is left for recovery at the next start`,
        );
        logger.flush();
        // Open sockets or a stuck engine would keep the process alive: the deadline is a promise.
        process.exit(1);
      }, config.shutdownTimeout * 1000);
      deadline.unref();
      collector.stop().then(
        () => { clearTimeout(deadline); resolve(0); },
        (error: unknown) => { logger.error({ err: error }, 'shutdown failed'); resolve(1); },
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
