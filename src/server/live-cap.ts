/**
 * The most bytes a string value takes in the /internal/live JSON (between its quotes), before the
 * truncation note. One 809-byte API request could otherwise make every poll of the live page 39 MB
 * (issue 15 §4): with every value capped, the snapshot has a size bound (docs/operations.md).
 */
export const LIVE_VALUE_BYTES = 2048;

/** Strings this short cannot pass the cap even at 6 JSON bytes per character (`\u0001`). */
const ALWAYS_FITS = Math.floor(LIVE_VALUE_BYTES / 6);

/**
 * `value` as shown on the live page: whole when its JSON encoding fits LIVE_VALUE_BYTES, else cut
 * there (never inside a surrogate pair) and followed by `… [N characters in all]`.
 */
export function capLiveValue(value: string): string {
  if (value.length <= ALWAYS_FITS) return value;
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const cost = jsonBytes(value, i);
    if (bytes + cost > LIVE_VALUE_BYTES) return `${value.slice(0, i)}… [${value.length} characters in all]`;
    bytes += cost;
    if (cost === 4) i++; // a surrogate pair, taken whole
  }
  return value;
}

/** JSON-encoded UTF-8 bytes of the character at `i` (4 for a whole surrogate pair). */
function jsonBytes(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x22 || c === 0x5c) return 2;
  if (c < 0x20) return c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6;
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 4;
  }
  return c >= 0xd800 && c <= 0xdfff ? 6 : 3; // a lone surrogate is escaped as \udxxx
}

/** A copy of `record` with every string value capped. */
export function capLiveStrings<T extends object>(record: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) out[key] = typeof value === 'string' ? capLiveValue(value) : value;
  return out as T;
}
