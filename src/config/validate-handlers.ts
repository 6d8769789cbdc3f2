import { readKeys, type RawValue } from './spec.js';
import type { HandlerConfig } from './schema.js';
import type { HandlerSpec, Plugins } from './plugins.js';
import { findNamed } from '../util/named-list.js';
import { didYouMean } from './suggest.js';

/**
 * `handler.NAME.class` and `handler.NAME.params.*`: each handler's class looked up among the
 * handlers passed in, its params read by its own table and checked by its own rules.
 */
export function validateHandlers(
  raw: ReadonlyMap<string, RawValue>,
  plugins: Plugins,
  problems: string[],
): HandlerConfig[] {
  const handlers: HandlerConfig[] = [];
  const names = new Set<string>();
  for (const key of raw.keys()) {
    if (!key.startsWith('handler.')) continue;
    const m = /^handler\.([^.]+)\.[^.]/.exec(key);
    if (m) names.add(m[1]);
    else
      problems.push(
        `${key}: unknown configuration key (handlers are set as handler.NAME.class and handler.NAME.params.*)`,
      );
  }
  for (const name of names) {
    const className = raw.get(`handler.${name}.class`);
    if (className === undefined || className === null || className === '') {
      problems.push(`handler.${name}.class is required (handler.${name}.* keys are set)`);
      continue;
    }
    if (!/^[A-Za-z0-9_-]+$/.test(name)) {
      problems.push(`handler.${name}: the handler name may only hold letters, digits, _ and -`);
      continue;
    }
    const descriptor = findNamed(plugins.handlers, String(className));
    if (!descriptor) {
      const known = plugins.handlers.map((h) => [h.name, ...h.wt1ClassNames].join(' = ')).join('; ') || 'none';
      problems.push(
        `handler.${name}.class: "${String(className)}" is not a known handler (known: ${known})${didYouMean(
          String(className),
          plugins.handlers.map((h) => h.name),
        )}`,
      );
      continue;
    }
    const prefix = `handler.${name}.params.`;
    const rawParams: Record<string, string> = {};
    for (const [k, v] of raw) if (k.startsWith(prefix) && v !== null) rawParams[k.slice(prefix.length)] = String(v);
    const params = readKeys(prefix, raw, descriptor.params, problems);
    for (const problem of descriptor.validate?.(params, rawParams) ?? []) problems.push(prefix + problem);
    problems.push(...unknownKeys(raw, name, descriptor));
    handlers.push({
      name,
      kind: descriptor.name,
      className: String(className),
      params: Object.freeze(params),
      rawParams: Object.freeze(rawParams),
    });
  }
  return handlers;
}

function unknownKeys(raw: ReadonlyMap<string, RawValue>, name: string, descriptor: HandlerSpec): string[] {
  const problems: string[] = [];
  const known = Object.keys(descriptor.params);
  for (const key of raw.keys()) {
    if (!key.startsWith(`handler.${name}.`)) continue;
    const rest = key.slice(`handler.${name}.`.length);
    if (rest === 'class') continue;
    const param = rest.startsWith('params.') ? rest.slice('params.'.length) : undefined;
    if (param !== undefined && (known.includes(param) || (descriptor.dynamicParams?.test(param) ?? false))) continue;
    problems.push(
      `${key}: unknown key for handler ${name} (known params: ` +
        `${known.join(', ') || 'none'})${didYouMean(param ?? rest, known, (s) => `handler.${name}.params.${s}`)}`,
    );
  }
  return problems;
}
