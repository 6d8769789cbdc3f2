import { encodePairs } from '../event/query-string.js';

/** Params as an object of scalar values, or already as a URL-encoded query string. */
export type Params = Readonly<Record<string, string | number | boolean | null | undefined>> | string;

/**
 * The query string of `params`, encoded as the pixel re-encodes custom params (so both endpoints
 * write the same bytes); null and undefined values are left out. A string is sent as given.
 */
export function encodeParams(params: Params | undefined): string | undefined {
  if (params === undefined) return undefined;
  if (typeof params === 'string') return params;
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) pairs.push([key, String(value)]);
  }
  return encodePairs(pairs);
}
