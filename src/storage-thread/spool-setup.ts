import path from 'node:path';
import type { Logger } from 'pino';
import type { StorageEngine } from '../storage/engine.js';
import { safeInstanceId } from '../logfile/naming.js';
import { DurableSpool } from './durable-spool.js';
import type { StorageThreadData } from './protocol.js';

/**
 * The write-ahead spool of ackMode=durable, for an engine that sends elsewhere (it confirms, it
 * does not sync); undefined otherwise. One folder per instanceId under `durable.spoolDir`: the
 * workers of `--workers N` have distinct, stable ones (`host-wN`), so a replaced worker replays
 * what its predecessor left.
 */
export function durableSpoolFor(
  engine: StorageEngine,
  data: StorageThreadData,
  logger: Logger,
  onRemoved: () => void,
): DurableSpool | undefined {
  const config = data.config;
  if (config.ackMode !== 'durable' || engine.sync !== undefined || engine.confirmed === undefined) return undefined;
  const name = safeInstanceId(config.instanceId) || 'wt1';
  return new DurableSpool(engine, {
    dir: path.resolve(config.durable.spoolDir, name),
    maxBytes: config.durable.maxSpoolBytes,
    idPrefix: name,
    logger,
    onRemoved,
  });
}
