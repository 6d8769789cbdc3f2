import type { RawValue } from './spec.js';

/** One config key read from the environment, with the variable it came from (for messages). */
export interface EnvEntry {
  readonly key: string;
  readonly value: string;
  readonly variable: string;
}

const norm = (s: string): string => s.replace(/_/g, '').toLowerCase();

/**
 * `WT1_*` variables as config keys: `__` separates dotted segments, and each segment matches a
 * key case-insensitively, ignoring `_` (WT1_MAX_QUEUE_SIZE = maxQueueSize,
 * WT1_STORAGE__PARAMS__ROOT_DIR = storage.params.rootDir, WT1_HANDLER__MAIN__CLASS = handler.main.class).
 * `PORT` and `HOST` (set by PaaS platforms) are honoured too, below the `WT1_` ones.
 */
export function envEntries(env: NodeJS.ProcessEnv, knownKeys: readonly string[]): EnvEntry[] {
  const out: EnvEntry[] = [];
  if (env.PORT) out.push({ key: 'port', value: env.PORT, variable: 'PORT' });
  if (env.HOST) out.push({ key: 'host', value: env.HOST, variable: 'HOST' });
  const byNorm = new Map(knownKeys.map((k) => [k.split('.').map(norm).join('.'), k]));
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('WT1_') || value === undefined) continue;
    const segments = name.slice(4).split('__');
    // Dynamic keys (storage.params.X of another engine, handler.NAME.*): the segments camelCased.
    const key = byNorm.get(segments.map(norm).join('.')) ?? segments.map(camel).join('.');
    out.push({ key, value, variable: name });
  }
  return out;
}

/** The same as a map of config keys (later entries win: WT1_PORT over PORT). */
export function configFromEnv(env: NodeJS.ProcessEnv, knownKeys: readonly string[]): Map<string, RawValue> {
  return new Map(envEntries(env, knownKeys).map((e) => [e.key, e.value]));
}

/** The variable that sets a key: maxQueueSize → WT1_MAX_QUEUE_SIZE, api.maxEvents → WT1_API__MAX_EVENTS. */
export function envNameOf(key: string): string {
  return (
    'WT1_' +
    key
      .split('.')
      .map((s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
      .join('__')
  );
}

function camel(segment: string): string {
  if (/[a-z]/.test(segment)) return segment;
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
