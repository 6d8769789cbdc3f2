import type { Logger } from 'pino';
import type { EngineDescriptor, StorageEngine } from './engine.js';
import type { Config } from '../config/schema.js';
import type { LineColumns } from '../logfile/line-format.js';
import { fsEngine } from './fs.js';
import { gcsEngine, s3Engine } from './s3.js';
import { natsEngine } from './nats.js';
import { kafkaEngine } from './kafka.js';

/** Every storage engine wt1 ships. Adding one: a file in this folder and one entry here. */
export const ENGINES: readonly EngineDescriptor[] = [fsEngine, s3Engine, gcsEngine, natsEngine, kafkaEngine];

/** WT1 engines that wt1 deliberately does not provide, with what to use instead. */
export const UNSUPPORTED_WT1_ENGINES: Readonly<Record<string, string>> = {
  'com.dataiku.wt1.storage.FlumeSourceProcessor':
    'wt1 has no Flume engine; use the Kafka engine (storage.class=kafka), the NATS JetStream engine (storage.class=nats) or the filesystem engine (storage.class=fs)',
};

export function findEngine(nameOrClass: string): EngineDescriptor | undefined {
  return ENGINES.find((e) => e.name === nameOrClass || e.wt1ClassNames.includes(nameOrClass));
}

/** The column layout of log lines a config asks for (global id and inlined params). */
export function columnsOf(config: Config): LineColumns {
  return {
    globalVisitorId: config.thirdPartyCookies,
    inlinedVisitorParams: config.inlinedVisitorParams,
    inlinedSessionParams: config.inlinedSessionParams,
    inlinedEventParams: config.inlinedEventParams,
  };
}

/** The configured engine, created (not opened), on whichever thread calls this. */
export function createEngine(descriptor: EngineDescriptor, config: Config, context: { logger: Logger; instanceId: string; now: () => number }): StorageEngine {
  return descriptor.create(config.storage.params, {
    config,
    logger: context.logger.child({ engine: descriptor.name }),
    instanceId: context.instanceId,
    columns: columnsOf(config),
    now: context.now,
  });
}
