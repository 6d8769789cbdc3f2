import type { EngineDescriptor } from './engine.js';
import { fsEngine } from './fs.js';
import { gcsEngine, s3Engine } from './s3.js';
import { natsEngine } from './nats.js';

/** Every storage engine wt1 ships. Adding one: a file in this folder and one entry here. */
export const ENGINES: readonly EngineDescriptor[] = [fsEngine, s3Engine, gcsEngine, natsEngine];

/** WT1 engines that wt1 deliberately does not provide, with what to use instead. */
export const UNSUPPORTED_WT1_ENGINES: Readonly<Record<string, string>> = {
  'com.dataiku.wt1.storage.KafkaStorageProcessor':
    'wt1 has no Kafka engine (no Kafka-protocol broker can be run or tested where wt1 is built, so none is shipped untested); use the NATS JetStream engine: storage.class=nats',
  'com.dataiku.wt1.storage.FlumeSourceProcessor':
    'wt1 has no Flume engine; use the NATS JetStream engine (storage.class=nats) or the filesystem engine (storage.class=fs)',
};

export function findEngine(nameOrClass: string): EngineDescriptor | undefined {
  return ENGINES.find((e) => e.name === nameOrClass || e.wt1ClassNames.includes(nameOrClass));
}
