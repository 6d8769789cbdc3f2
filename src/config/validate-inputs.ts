import { readKeys, type RawValue, type SpecTable } from './spec.js';
import type { InputSpec, Plugins } from './plugins.js';
import { didYouMean } from './suggest.js';

/** `inputs.NAME.KEY` of every input: its allow-list of sites. */
export function inputKeyNames(plugins: Plugins): string[] {
  return (plugins.inputs ?? []).map((i) => `inputs.${i.name}.${i.sitesKey}`);
}

/**
 * `inputs` (already read with the top-level keys) names the inputs enabled: `all`, `none` or
 * their names; `inputs.NAME.KEY` is each one's allow-list of sites. Returns the enabled inputs,
 * each with its list (empty: any site), frozen.
 */
export function validateInputs(
  raw: ReadonlyMap<string, RawValue>,
  listed: readonly string[],
  plugins: Plugins,
  problems: string[],
): Readonly<Record<string, readonly string[]>> {
  const inputs: readonly InputSpec[] = plugins.inputs ?? [];
  const names = inputs.map((i) => i.name);
  for (const name of listed) {
    if (name !== 'all' && name !== 'none' && !names.includes(name)) {
      problems.push(
        `inputs: "${name}" is not a known input (known: all, none, ${names.join(', ')})${didYouMean(name, names)}`,
      );
    }
  }
  if (listed.includes('none') && listed.length > 1)
    problems.push(`inputs: "none" cannot be listed with other inputs (${listed.join(',')})`);
  const known = inputKeyNames(plugins);
  for (const key of raw.keys()) {
    if (key.startsWith('inputs.') && !known.includes(key))
      problems.push(`${key}: unknown configuration key${didYouMean(key, known)}`);
  }
  const sites: Record<string, readonly string[]> = {};
  for (const input of inputs) {
    if (!listed.includes('all') && !listed.includes(input.name)) continue;
    const spec: SpecTable = {
      [input.sitesKey]: {
        type: 'list',
        default: [],
        origin: 'wt1',
        description: `sites accepted by the ${input.name} input`,
      },
    };
    sites[input.name] = Object.freeze(
      readKeys(`inputs.${input.name}.`, raw, spec, problems)[input.sitesKey] as string[],
    );
  }
  return Object.freeze(sites);
}
