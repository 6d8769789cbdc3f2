/**
 * The small schema language shared by the top-level config and by each engine's and handler's
 * params: a key, its type, its default, and where it comes from. Values arrive as strings (from a
 * properties file or the environment) or as JSON values, and are converted once, at start.
 */
export type KeyType = 'int' | 'number' | 'bool' | 'string' | 'list' | 'enum';

export interface KeySpec {
  type: KeyType;
  default: unknown;
  /** 'WT1' when the original read this key (same name, same meaning), 'wt1' when new. */
  origin: 'WT1' | 'wt1';
  description: string;
  min?: number;
  max?: number;
  values?: readonly string[];
  required?: boolean;
}

export type SpecTable = Readonly<Record<string, KeySpec>>;

/**
 * The value type a spec gives after validation: what `readKeys` returns for it. With a spec table
 * declared `as const satisfies SpecTable`, `ParamsOf<typeof TABLE>` is the typed params object, so the
 * table stays the one place a key is declared (no hand-written twin to keep in step).
 */
export type ValueOf<S extends KeySpec> = KeyType extends S['type']
  ? unknown // a spec typed only as KeySpec: nothing more is known
  : S['type'] extends 'int' | 'number'
    ? number
    : S['type'] extends 'bool'
      ? boolean
      : S['type'] extends 'list'
        ? readonly string[]
        : S['type'] extends 'enum'
          ? S['values'] extends readonly (infer V)[]
            ? V
            : string
          : string;

export type ParamsOf<T extends SpecTable> = { readonly [K in keyof T]: ValueOf<T[K]> };

/** A raw value as read from a file or the environment. */
export type RawValue = string | number | boolean | string[] | null;

/**
 * Converts `raw[key]` for every key of `specs`, pushing one message per problem (naming the full
 * key and the bad value) into `problems`. Unknown keys are reported by the caller, which knows the
 * namespace.
 */
export function readKeys(
  prefix: string,
  raw: ReadonlyMap<string, RawValue>,
  specs: SpecTable,
  problems: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const fullKey = prefix + key;
    const value = raw.get(fullKey);
    if (value === undefined || value === null || value === '') {
      if (spec.required) problems.push(`${fullKey} is required (${spec.description})`);
      out[key] = spec.default;
      continue;
    }
    const converted = convert(fullKey, value, spec, problems);
    out[key] = converted === undefined ? spec.default : converted;
  }
  return out;
}

function convert(fullKey: string, value: RawValue, spec: KeySpec, problems: string[]): unknown {
  const shown = JSON.stringify(value);
  switch (spec.type) {
    case 'int':
    case 'number': {
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
      if (!Number.isFinite(n) || (typeof value === 'string' && value.trim() === '')) {
        problems.push(`${fullKey}: ${shown} is not a number`);
        return undefined;
      }
      if (spec.type === 'int' && !Number.isInteger(n)) {
        problems.push(`${fullKey}: ${shown} is not a whole number`);
        return undefined;
      }
      if (spec.min !== undefined && n < spec.min) {
        problems.push(`${fullKey}: ${shown} is below the minimum ${spec.min}`);
        return undefined;
      }
      if (spec.max !== undefined && n > spec.max) {
        problems.push(`${fullKey}: ${shown} is above the maximum ${spec.max}`);
        return undefined;
      }
      return n;
    }
    case 'bool': {
      if (typeof value === 'boolean') return value;
      const s = String(value).trim().toLowerCase();
      // Java's Boolean.parseBoolean: only "true" is true. We also refuse typos rather than reading them as false.
      if (s === 'true' || s === 'yes' || s === '1' || s === 'on') return true;
      if (s === 'false' || s === 'no' || s === '0' || s === 'off') return false;
      problems.push(`${fullKey}: ${shown} is not a boolean (true or false)`);
      return undefined;
    }
    case 'list': {
      if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter((v) => v !== '');
      return String(value)
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
    }
    case 'enum': {
      const s = String(value).trim();
      if (!spec.values?.includes(s)) {
        problems.push(`${fullKey}: ${shown} is not one of ${spec.values?.join(', ')}`);
        return undefined;
      }
      return s;
    }
    case 'string':
      if (typeof value === 'object') {
        problems.push(`${fullKey}: ${shown} is not a string`);
        return undefined;
      }
      return String(value);
  }
}
