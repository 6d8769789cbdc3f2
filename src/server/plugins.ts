import type { Plugins } from '../config/plugins.js';
import * as config from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { RawValue } from '../config/spec.js';
import { ENGINES, UNSUPPORTED_WT1_ENGINES } from '../storage/registry.js';
import { BASE_COLUMNS } from '../logfile/line-format.js';
import { HANDLERS } from '../handlers/registry.js';
import { INPUTS } from '../inputs/registry.js';
import { RESERVED_PATHS } from './routes/reserved-paths.js';

/**
 * What wt1 ships, as the registries the config is validated against. config/ sits below the
 * engines and handlers (they read its types), so the composition happens here, above both.
 */
export const BUILTIN_PLUGINS = Object.freeze({
  engines: ENGINES,
  handlers: HANDLERS,
  // `inputs` enables the tracker inputs; WT1's own (the pixel, /public/events) are always served.
  inputs: INPUTS.filter((i) => !i.builtin),
  unsupportedEngines: UNSUPPORTED_WT1_ENGINES,
  reservedColumns: Object.freeze([...BASE_COLUMNS, 'global_visitor_id']),
  reservedPaths: Object.freeze({ ...RESERVED_PATHS, ...inputPaths() }),
}) satisfies Plugins;

/** loadConfig with the shipped engines and handlers unless told otherwise. */
export function loadConfig(options: config.LoadOptions = {}, plugins: Plugins = BUILTIN_PLUGINS): Config {
  return config.loadConfig(options, plugins);
}

export function validateConfig(raw: ReadonlyMap<string, RawValue>, plugins: Plugins = BUILTIN_PLUGINS): Config {
  return config.validateConfig(raw, plugins);
}

export function knownKeyNames(plugins: Plugins = BUILTIN_PLUGINS): string[] {
  return config.knownKeyNames(plugins);
}

/** The tracker inputs' paths (every input's, enabled or not), which `paths.*` may not take. */
function inputPaths(): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const input of INPUTS)
    for (const e of input.endpoints)
      if (e.pathKey === undefined) paths[e.prefix ? `${e.path}*` : e.path] = `the ${input.name} input`;
  return paths;
}
