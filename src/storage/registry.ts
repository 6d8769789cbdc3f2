import type { Logger } from 'pino';
import type { EngineDescriptor, StorageEngine } from './engine.js';
import type { Config } from '../config/schema.js';
import type { LineColumns } from '../logfile/line-format.js';
import { orderInlined } from '../logfile/inlined-order.js';
import { fsEngine } from './fs.js';
import { gcsEngine, s3Engine } from './s3.js';
import { natsEngine } from './nats.js';
import { kafkaEngine } from './kafka.js';
import { extendNamed, findNamed } from '../util/named-list.js';

/** Every storage engine wt1 ships. Adding one: a file in this folder and one entry here. */
export const ENGINES: readonly EngineDescriptor[] = [fsEngine, s3Engine, gcsEngine, natsEngine, kafkaEngine];

/** WT1 engines that wt1 deliberately does not provide, with what to use instead. */
export const UNSUPPORTED_WT1_ENGINES: Readonly<Record<string, string>> = {
  'com.dataiku.wt1.storage.FlumeSourceProcessor':
    'wt1 has no Flume engine; use the Kafka engine (storage.class=kafka), the NATS JetStream engine ' +
    '(storage.class=nats) or the filesystem engine (storage.class=fs)',
};

export function findEngine(
  nameOrClass: string,
  engines: readonly EngineDescriptor[] = ENGINES,
): EngineDescriptor | undefined {
  return findNamed(engines, nameOrClass);
}

/**
 * The shipped engines plus those of a program that embeds wt1, as a new list to pass to loadConfig
 * (in `plugins.engines`) and createCollector (`engines`): nothing global changes. A name or class
 * name already taken is refused. Such an engine runs on the request thread (the storage thread
 * finds its engine by name among the shipped ones).
 */
export function withEngines(...extra: EngineDescriptor[]): readonly EngineDescriptor[] {
  return extendNamed(ENGINES, extra, 'an engine');
}

/** The column layout of log lines a config asks for (global id and inlined params, in `inlinedParamsOrder`). */
export function columnsOf(config: Config): LineColumns {
  const order = config.inlinedParamsOrder;
  return {
    globalVisitorId: config.thirdPartyCookies,
    inlinedVisitorParams: orderInlined(config.inlinedVisitorParams, order),
    inlinedSessionParams: orderInlined(config.inlinedSessionParams, order),
    inlinedEventParams: orderInlined(config.inlinedEventParams, order),
  };
}

/**
 * Inlined names with a space at either end: lists are split on `,` without trimming, as WT1 does,
 * so `a, b` names a column ` b` (files line up with WT1's, but a param `b` never fills it). One
 * warning at start names each such key.
 */
function warnSpacedNames(config: Config, logger: Logger): void {
  for (const key of ['inlinedVisitorParams', 'inlinedSessionParams', 'inlinedEventParams'] as const) {
    const spaced = config[key].filter((name) => name.trim() !== name);
    if (spaced.length > 0) {
      logger.warn(
        { key, names: spaced },
        `${key}: ${spaced.map((n) => JSON.stringify(n)).join(', ')} begin or end with a space: lists are split on ` +
          `"," without trimming, as WT1 does, so the column is named with the space (write "a,b", not "a, b", ` +
          `unless files must match a WT1 configured so)`,
      );
    }
  }
}

/** The configured engine, created (not opened), on whichever thread calls this. */
export function createEngine(
  descriptor: EngineDescriptor,
  config: Config,
  context: { logger: Logger; instanceId: string; now: () => number },
): StorageEngine {
  warnSpacedNames(config, context.logger);
  return descriptor.create(config.storage.params, {
    config,
    logger: context.logger.child({ engine: descriptor.name }),
    instanceId: context.instanceId,
    columns: columnsOf(config),
    now: context.now,
  });
}
