import { ConfigError } from '../errors.js';
import type { RawValue } from './spec.js';
import { TOP_LEVEL_KEYS, type Config } from './schema.js';
import type { Plugins } from './plugins.js';
import { readConfigFile } from './file.js';
import { envEntries, envNameOf } from './env.js';
import { validateTopLevel } from './validate-top.js';
import { INLINED_KEYS, validateStorage } from './validate-storage.js';
import { validateHandlers } from './validate-handlers.js';
import { inputKeyNames, validateInputs } from './validate-inputs.js';
import { validatePaths } from './validate-paths.js';

export { readConfigFile } from './file.js';
export { configFromEnv } from './env.js';
export type { Plugins } from './plugins.js';

export interface LoadOptions {
  /** Path of a config.properties or JSON file; none: defaults and environment only. */
  readonly file?: string;
  /** Environment to read `WT1_*`, `PORT` and `HOST` from. */
  readonly env?: NodeJS.ProcessEnv;
  /** Highest precedence (command-line flags), already as config keys. */
  readonly overrides?: Readonly<Record<string, RawValue>>;
  /** Where each override came from (`--port`), for messages; keys without one say "command line". */
  readonly overrideOrigins?: Readonly<Record<string, string>>;
}

/** Every key name wt1 can know about with these plugins (top level, every engine's params). */
export function knownKeyNames(plugins: Plugins): string[] {
  const keys = Object.keys(TOP_LEVEL_KEYS);
  for (const e of plugins.engines) for (const p of Object.keys(e.params)) keys.push(`storage.params.${p}`);
  for (const k of INLINED_KEYS) keys.push(`storage.params.${k}`);
  keys.push(...inputKeyNames(plugins));
  return [...new Set(keys)];
}

/**
 * Loads, merges (defaults < file < PORT/HOST < WT1_* < overrides), validates and freezes the config.
 * Throws one ConfigError listing every problem, each naming the key and the bad value, and the
 * environment variable or flag it came from when it did not come from the file.
 */
export function loadConfig(options: LoadOptions, plugins: Plugins): Config {
  const raw = new Map<string, RawValue>();
  const origins = new Map<string, string>();
  if (options.file) for (const [k, v] of readConfigFile(options.file)) raw.set(k, v);
  for (const e of envEntries(options.env ?? {}, knownKeyNames(plugins))) {
    raw.set(e.key, e.value);
    origins.set(e.key, `environment variable ${e.variable}`);
  }
  for (const [k, v] of Object.entries(options.overrides ?? {})) {
    if (v === undefined) continue;
    raw.set(k, v);
    origins.set(k, options.overrideOrigins?.[k] ?? 'command line');
  }
  return validateConfig(raw, plugins, origins);
}

/**
 * Validates raw keys, one validator per namespace (top level, storage, handlers), and builds the
 * frozen Config. `origins` (key → where it was set) is added to the problems it concerns.
 */
export function validateConfig(
  raw: ReadonlyMap<string, RawValue>,
  plugins: Plugins,
  origins?: ReadonlyMap<string, string>,
): Config {
  const problems: string[] = [];
  const known = knownKeyNames(plugins);
  const top = validateTopLevel(raw, known, problems);
  const { storage, inlined } = validateStorage(raw, String(top['storage.class']).trim(), plugins, problems);
  const handlers = validateHandlers(raw, plugins, problems);
  const inputSites = validateInputs(raw, top.inputs, plugins, problems);
  validatePaths(pathsOf(top), plugins, problems);
  if (problems.length > 0) throw new ConfigError(origins ? problems.map((p) => withOrigin(p, origins)) : problems);

  const config: Record<string, unknown> = { storage, handlers: Object.freeze(handlers), inputSites };
  for (const [key, value] of Object.entries({ ...top, ...inlined })) {
    const dot = key.indexOf('.');
    const frozen = Array.isArray(value) ? Object.freeze([...value]) : value;
    if (dot === -1) config[key] = frozen;
    else if (key.slice(0, dot) !== 'storage') {
      const namespace = (config[key.slice(0, dot)] ??= {}) as Record<string, unknown>;
      namespace[key.slice(dot + 1)] = frozen;
    }
  }
  for (const value of Object.values(config)) if (value !== null && typeof value === 'object') Object.freeze(value);
  // Built key by key from TOP_LEVEL_KEYS, the table Config is derived from.
  return Object.freeze(config) as Config;
}

/**
 * `port: "abc" is not a number` → `port (environment variable PORT): "abc" is not a number`;
 * an unknown key from the environment also gets the variable that would have set the suggestion.
 */
function withOrigin(problem: string, origins: ReadonlyMap<string, string>): string {
  let key = '';
  for (const k of origins.keys()) {
    if (k.length > key.length && problem.startsWith(k) && /^[: ]/.test(problem.slice(k.length))) key = k;
  }
  if (key === '') return problem;
  const origin = origins.get(key)!;
  let rest = problem.slice(key.length);
  if (origin.startsWith('environment variable WT1_')) {
    rest = rest.replace(/; did you mean ([^?\s]+)\?$/, (_, s: string) => `; did you mean ${s} (${envNameOf(s)})?`);
  }
  return `${key} (${origin})${rest}`;
}

/** The `paths.*` values by name (`pixel`, `snippet`, ...). */
function pathsOf(top: Readonly<Record<string, unknown>>): Record<string, string | readonly string[]> {
  const paths: Record<string, string | readonly string[]> = {};
  for (const [key, value] of Object.entries(top))
    if (key.startsWith('paths.')) paths[key.slice('paths.'.length)] = value as string | readonly string[];
  return paths;
}
