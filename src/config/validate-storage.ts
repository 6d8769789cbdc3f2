import { readKeys, type RawValue } from './spec.js';
import type { StorageConfig } from './schema.js';
import type { Plugins } from './plugins.js';
import { findNamed } from '../util/named-list.js';
import { didYouMean } from './suggest.js';

export const INLINED_KEYS = ['inlinedVisitorParams', 'inlinedSessionParams', 'inlinedEventParams'] as const;
export type InlinedKey = (typeof INLINED_KEYS)[number];

export interface StorageValues {
  readonly storage: StorageConfig;
  readonly inlined: Readonly<Record<InlinedKey, readonly string[]>>;
}

/**
 * `storage.class` (already read with the top-level keys) picks the engine; `storage.params.*` are
 * read by its table and checked by its own rules. The inlined param lists are read here too: the
 * original's sample sets them at top level but its engines read `storage.params.*`, so both count.
 */
export function validateStorage(
  raw: ReadonlyMap<string, RawValue>,
  storageClass: string,
  plugins: Plugins,
  problems: string[],
): StorageValues {
  let engineName = '';
  let params: Record<string, unknown> = {};
  const engine = findNamed(plugins.engines, storageClass);
  if (engine) {
    engineName = engine.name;
    params = readKeys('storage.params.', raw, engine.params, problems);
    problems.push(...(engine.validate?.(params) ?? []));
  } else if (plugins.unsupportedEngines?.[storageClass]) {
    problems.push(`storage.class: "${storageClass}" is not provided: ${plugins.unsupportedEngines[storageClass]}`);
  } else {
    const known = plugins.engines.map((e) => `${e.name} = ${e.wt1ClassNames.join(' / ') || e.name}`).join('; ');
    problems.push(
      `storage.class: "${storageClass}" is not a known engine (known: ${known})${didYouMean(
        storageClass,
        plugins.engines.map((e) => e.name),
      )}`,
    );
  }

  const inlined = {} as Record<InlinedKey, readonly string[]>;
  for (const key of INLINED_KEYS) {
    const top = listOf(raw, '', key, problems);
    const underParams = listOf(raw, 'storage.params.', key, problems);
    inlined[key] = Object.freeze([...new Set([...top, ...underParams])]);
  }
  problems.push(...checkInlinedNames(raw, inlined, plugins.reservedColumns ?? []));

  if (engine) {
    const known = [...Object.keys(engine.params), ...INLINED_KEYS];
    for (const key of raw.keys()) {
      if (!key.startsWith('storage.params.')) continue;
      const p = key.slice('storage.params.'.length);
      if (!known.includes(p)) {
        problems.push(
          `${key}: unknown param for storage engine ${engine.name} (known: ` +
            `${Object.keys(engine.params).join(', ')})${didYouMean(p, known, (s) => 'storage.params.' + s)}`,
        );
      }
    }
  }
  return {
    storage: { engine: engineName, className: storageClass, params: Object.freeze(params) },
    inlined: Object.freeze(inlined),
  };
}

/**
 * An inlined list, split on `,` **without trimming**, as WT1 does (issue 15 §6): `a, b` names the
 * second column ` b`, so files line up with WT1's (the storage engine warns about such names at
 * start). Empty names are dropped.
 */
function listOf(
  raw: ReadonlyMap<string, RawValue>,
  prefix: string,
  key: InlinedKey,
  problems: string[],
): readonly string[] {
  const value = raw.get(prefix + key);
  const names =
    value === undefined || value === null
      ? []
      : (Array.isArray(value) ? value.map(String) : String(value).split(',')).filter((name) => name.trim() !== '');
  const twice = names.filter((name, i) => names.indexOf(name) !== i);
  for (const name of new Set(twice)) problems.push(`${prefix}${key}: ${JSON.stringify(name)} is listed twice`);
  return names;
}

/** C0 and C1 controls and DEL: a tab or a line break in a name would break the header line. */
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/**
 * Inlined names become header columns: a control character breaks the header, a name twice makes
 * two columns of one name, and a base column's name (`visitor_id`) would let a visitor's param be
 * read as that column (`wt1 cat --visitor` matching a spoofed value). Each problem names the key.
 */
function checkInlinedNames(
  raw: ReadonlyMap<string, RawValue>,
  inlined: Readonly<Record<InlinedKey, readonly string[]>>,
  reserved: readonly string[],
): string[] {
  const problems: string[] = [];
  const keyOf = (list: InlinedKey): string =>
    raw.has(list) || !raw.has(`storage.params.${list}`) ? list : `storage.params.${list}`;
  const seen = new Map<string, InlinedKey>();
  for (const list of INLINED_KEYS) {
    for (const name of inlined[list]) {
      const shown = JSON.stringify(name);
      if (CONTROL.test(name)) {
        problems.push(
          `${keyOf(list)}: ${shown} holds a control character (a tab or line break would break the header line)`,
        );
      } else if (reserved.includes(name)) {
        problems.push(`${keyOf(list)}: ${shown} is the name of a base column; choose another name for this param`);
      } else if (seen.has(name)) {
        problems.push(
          `${keyOf(list)}: ${shown} is also listed in ${seen.get(name)}: each inlined column needs its own name`,
        );
      }
      seen.set(name, seen.get(name) ?? list);
    }
  }
  return problems;
}
