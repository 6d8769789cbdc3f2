import type { Config } from '../config/schema.js';
import type { RawValue } from '../config/spec.js';
import { safeHostname } from '../logfile/naming.js';

/**
 * Environment variable through which the primary tells a forked worker its slot (0..N-1). It is
 * removed from the environment before the config is read, so it never looks like a `WT1_*` key.
 */
export const WORKER_SLOT_ENV = 'WT1_CLUSTER_SLOT';

/** The slot of this process when it is a worker forked by `wt1 serve --workers N`, else undefined. */
export function workerSlot(env: NodeJS.ProcessEnv): number | undefined {
  const value = env[WORKER_SLOT_ENV];
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** The environment without the slot variable (what the config loader should see). */
export function withoutSlot(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { [WORKER_SLOT_ENV]: _slot, ...rest } = env;
  return rest;
}

/**
 * Instance id of the worker in `slot`: `<instanceId or host>-w<slot>`. Stable per slot (a replaced
 * worker writes under the same name) and distinct between slots, so file names never collide. An
 * engine-level `storage.params.instanceId` gets the same suffix.
 */
export function workerOverrides(config: Config, slot: number): Record<string, RawValue> {
  const suffix = `-w${slot}`;
  const overrides: Record<string, RawValue> = { instanceId: (config.instanceId || safeHostname()) + suffix };
  const engineInstance = config.storage.params.instanceId;
  if (typeof engineInstance === 'string' && engineInstance !== '')
    overrides['storage.params.instanceId'] = engineInstance + suffix;
  return overrides;
}
