import { encodePairs } from '../event/query-string.js';

/** Params as an object of scalar values, or already as a URL-encoded query string. */
export type Params = Readonly<Record<string, string | number | boolean | null | undefined>> | string;

/**
 * The query string of `params`, encoded as the pixel re-encodes custom params (so both endpoints
 * write the same bytes); null and undefined values are left out. A string is sent as given.
 */
export function encodeParams(params: Params | undefined, field: string): string | undefined {
  if (params === undefined) return undefined;
  if (typeof params === 'string') return params;
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined) continue;
    // What the server refuses (and with it the whole batch) is refused here, at track().
    const ok =
      typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    if (!ok)
      throw new TypeError(
        `wt1 client: ${field}.${key} must be a string, a finite number or a boolean, not ${describeValue(value)}`,
      );
    pairs.push([key, String(value)]);
  }
  return encodePairs(pairs);
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'number' ? String(value) : typeof value === 'object' ? 'an object' : typeof value;
}
