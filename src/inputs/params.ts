import { encodeComponent } from '../event/query-string.js';
import type { InputLimits } from './input.js';
import { tooLong } from './fields.js';

/**
 * A query string of params built from a tracker's properties: nested objects by dotted path
 * (`cart.total=12`), arrays and values deeper than MAX_FLATTEN as their JSON text, booleans and
 * numbers as text, null and undefined left out (JSON has no other way to say "no value").
 */
export class Params {
  private text = '';

  constructor(
    private readonly input: string,
    private readonly where: string,
    private readonly limits: InputLimits,
  ) {}

  add(key: string, value: string | number | boolean | null | undefined): this {
    if (value === null || value === undefined) return this;
    const pair = encodeComponent(key) + '=' + encodeComponent(String(value));
    this.text = this.text === '' ? pair : this.text + '&' + pair;
    if (this.text.length > this.limits.maxFieldLength)
      throw tooLong(this.input, this.where, this.text.length, this.limits);
    return this;
  }

  /** Every property of `object`, under `prefix` (dotted) when given. */
  addAll(object: Readonly<Record<string, unknown>> | null, prefix = '', depth = 0): this {
    if (object === null) return this;
    for (const key in object) {
      if (!Object.hasOwn(object, key)) continue;
      const value = object[key];
      const name = prefix === '' ? key : `${prefix}.${key}`;
      if (value === null || value === undefined) continue;
      if (typeof value === 'object') {
        if (!Array.isArray(value) && depth < MAX_FLATTEN)
          this.addAll(value as Record<string, unknown>, name, depth + 1);
        else this.add(name, JSON.stringify(value));
      } else {
        this.add(name, value as string | number | boolean);
      }
    }
    return this;
  }

  /** The query string, null when empty. */
  done(): string | null {
    return this.text === '' ? null : this.text;
  }
}

/** Levels of nested objects flattened into dotted names; deeper ones are written as JSON text. */
export const MAX_FLATTEN = 4;
