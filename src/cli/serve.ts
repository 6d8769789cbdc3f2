import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { createCollector } from '../server/app.js';
import { Wt1Error } from '../errors.js';
import type { RawValue } from '../config/spec.js';

export const SERVE_USAGE = `Usage: wt1 serve [--config FILE] [--port N] [--host ADDR] [--workers N]

Runs the collector. FILE is a WT1 config.properties (Java properties) or a JSON file of the same
keys; without one, the embedded default is used (filesystem storage under ./data, port 8080).
Environment variables override file keys: WT1_<KEY> with __ between dotted segments, e.g.
WT1_MAX_QUEUE_SIZE=10000, WT1_STORAGE__PARAMS__ROOT_DIR=/var/wt1. PORT and HOST are honoured too.`;

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
  const config = loadConfig({ file: values.config, env: process.env, overrides });
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const collector = createCollector(config, { logger });
  await collector.start();

  return new Promise<number>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        logger.warn({ signal }, 'second signal: exiting at once');
        process.exit(130);
      }
      signalled = true;
      logger.info({ signal, deadlineSeconds: config.shutdownTimeout }, 'shutting down: draining queues');
      const deadline = setTimeout(() => {
        const error = new Wt1Error('WT1_ERR_SHUTDOWN_DEADLINE', `${config.shutdownTimeout} s`);
        logger.error({ err: error, counters: collector.context.dispatcher.counters() }, 'shutdown deadline passed: events still queued are lost');
        // Open sockets or a stuck engine would keep the process alive: the deadline is a promise.
        process.exit(1);
      }, config.shutdownTimeout * 1000);
      deadline.unref();
      collector.stop().then(
        () => { clearTimeout(deadline); resolve(0); },
        (error: unknown) => { logger.error({ err: error }, 'shutdown failed'); resolve(1); },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
