import { loadConfig } from '../server/plugins.js';
import { createLogger } from '../log.js';
import { runCollector } from '../server/run.js';
import type { RawValue } from '../config/spec.js';
import { withoutSlot, workerOverrides, workerSlot } from '../cluster/worker-identity.js';
import { runWorker } from '../cluster/worker.js';
import { runPrimary } from '../cluster/primary.js';
import { parseCommandLine } from './args.js';

/** Every flag of `wt1 serve`; the help below lists each (a test checks it). */
export const SERVE_OPTIONS = {
  config: { type: 'string', short: 'c' },
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  workers: { type: 'string', short: 'w' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const SERVE_USAGE = `Usage: wt1 serve [options]

Runs the collector: it answers the tracker's hits (GET/POST /public/p.gif, POST /public/events;
renamable with paths.*) and the tracker inputs (Segment, RudderStack, Snowplow, PostHog, Plausible,
Umami, Matomo, GA4, Jitsu: docs/inputs.md), and writes the events with the configured storage
engine (by default gzip log files under ./data).

Options:
  -c, --config FILE   a WT1 config.properties (Java properties) or a JSON file of the same keys;
                      without one, the defaults (filesystem storage under ./data, port 8080)
  -p, --port N        TCP port (key port, default 8080; also the PORT variable)
      --host ADDR     address to listen on (key host, default 0.0.0.0; also the HOST variable)
  -w, --workers N     worker processes sharing the port (key workers, default 1), each with its
                      own queues, files and instance id <instanceId or host>-w<slot>; docs/scaling.md
  -h, --help          this help

Any configuration key can be set in the environment: WT1_ and the key in capitals, _ between
words and __ between dotted segments (WT1_MAX_QUEUE_SIZE=10000, WT1_STORAGE__PARAMS__ROOT_DIR=/var/wt1).
Precedence: defaults < file < PORT/HOST < WT1_* < flags.
Every key with its default and meaning: docs/configuration.md.`;

/** The config key each flag sets, and how it is named in messages. */
const FLAG_KEYS = { port: 'port', host: 'host', workers: 'workers' } as const;

export async function serve(argv: string[]): Promise<number> {
  const { values } = parseCommandLine('serve', { args: argv, options: SERVE_OPTIONS, strict: true });
  if (values.help) {
    process.stdout.write(SERVE_USAGE + '\n');
    return 0;
  }
  const overrides: Record<string, RawValue> = {};
  const overrideOrigins: Record<string, string> = {};
  for (const [flag, key] of Object.entries(FLAG_KEYS)) {
    const value = values[flag as keyof typeof FLAG_KEYS];
    if (value === undefined) continue;
    overrides[key] = value;
    overrideOrigins[key] = `--${flag}`;
  }
  // A worker has the slot variable and an IPC channel to its primary (the variable alone is not enough).
  const slot = process.send ? workerSlot(process.env) : undefined;
  const env = withoutSlot(process.env);
  const config = loadConfig({ file: values.config, env, overrides, overrideOrigins });

  if (slot !== undefined) {
    // A worker forked by the primary below: same config, its own instance id.
    return runWorker(
      slot,
      loadConfig({
        file: values.config,
        env,
        overrides: { ...overrides, ...workerOverrides(config, slot) },
        overrideOrigins,
      }),
    );
  }
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  if (config.workers > 1) {
    return runPrimary(config, logger);
  }
  return runCollector(config, logger);
}
