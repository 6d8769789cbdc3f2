import { parseArgs } from 'node:util';
import { loadConfig } from '../server/plugins.js';
import { createLogger } from '../log.js';
import { runCollector } from '../server/run.js';
import type { RawValue } from '../config/spec.js';
import { withoutSlot, workerOverrides, workerSlot } from '../cluster/worker-identity.js';
import { runWorker } from '../cluster/worker.js';
import { runPrimary } from '../cluster/primary.js';

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
    return runWorker(slot, loadConfig({ file: values.config, env, overrides: { ...overrides, ...workerOverrides(config, slot) } }));
  }
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  if (config.workers > 1) {
    return runPrimary(config, logger);
  }
  return runCollector(config, logger);
}
