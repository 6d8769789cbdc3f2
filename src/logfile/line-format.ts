import type { TrackedEvent } from '../event/event.js';
import { parseQueryString } from '../event/query-string.js';

/**
 * The WT1 log line (WT1-REFERENCE §7): tab-separated, one event per line, header first.
 *
 * Escaping (fixed from the original, which only escaped `"`): in every field, bare or quoted,
 * `\` is written `\\`, TAB `\t`, LF `\n`, CR `\r`; inside quotes `"` is written `\"`. So every line
 * has exactly the header's number of fields whatever a visitor sends.
 */
export const BASE_COLUMNS = [
  'server_ts',
  'client_ts',
  'client_addr',
  'visitor_id',
  'session_id',
  'location',
  'referer',
  'user-agent',
  'type',
  'visitor_params',
  'session_params',
  'event_params',
  'br_width',
  'br_height',
  'sc_width',
  'sc_height',
  'br_lang',
  'tz_off',
] as const;

export interface LineColumns {
  readonly globalVisitorId: boolean;
  readonly inlinedVisitorParams: readonly string[];
  readonly inlinedSessionParams: readonly string[];
  readonly inlinedEventParams: readonly string[];
}

export function headerLine(columns: LineColumns): string {
  const names: string[] = [...BASE_COLUMNS];
  if (columns.globalVisitorId) names.push('global_visitor_id');
  names.push(...columns.inlinedVisitorParams, ...columns.inlinedSessionParams, ...columns.inlinedEventParams);
  return '#' + names.join('\t') + '\n';
}

const NEEDS_ESCAPE = /[\\\t\n\r"]/;
const ESCAPE_RE = /[\\\t\n\r"]/g;
const BARE_ESCAPE_RE = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '"': '\\"' };
const replaceEscape = (c: string): string => ESCAPES[c];

/** A bare field: backslash, tab, newline and carriage return escaped. */
export function bare(value: string | null): string {
  if (value === null) return 'null';
  return NEEDS_ESCAPE.test(value) ? value.replace(BARE_ESCAPE_RE, replaceEscape) : value;
}

/**
 * A quoted field: `"..."` with `"` escaped too; `"null"`, quotes included, when missing, as the
 * original writes it (its `"\"" + value + "\""` of a null; issue 15 §6).
 */
export function quoted(value: string | null): string {
  if (value === null) return '"null"';
  return '"' + (NEEDS_ESCAPE.test(value) ? value.replace(ESCAPE_RE, replaceEscape) : value) + '"';
}

/** An inlined param column: quoted, empty when missing. */
function inlined(value: string | undefined): string {
  return value === undefined ? '""' : quoted(value);
}

/** UTC `yyyy-MM-ddTHH:mm:ss.SSS`, no zone suffix. */
export function formatTimestamp(ms: number): string {
  // The seconds part is cached (two entries: the server and client times of a line rarely share
  // a second, and consecutive events do): a Date and an ISO string less per field.
  const second = Math.floor(ms / 1000);
  const milli = ms - second * 1000;
  if (Number.isInteger(ms)) {
    if (second === cachedSecondA) return cachedPrefixA + MILLIS[milli];
    if (second === cachedSecondB) return cachedPrefixB + MILLIS[milli];
  }
  // Outside years 0000-9999 (a hostile __wt1ts) the column's shape cannot hold it: written as missing.
  if (!(ms >= FIRST_FOUR_DIGIT_MS && ms <= LAST_FOUR_DIGIT_MS)) return '1970-01-01T00:00:00.000';
  const iso = new Date(ms).toISOString().slice(0, 23);
  if (Number.isInteger(ms) && iso.length === 23) {
    cachedSecondB = cachedSecondA;
    cachedPrefixB = cachedPrefixA;
    cachedSecondA = second;
    cachedPrefixA = iso.slice(0, 20);
  }
  return iso;
}
/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z. */
const FIRST_FOUR_DIGIT_MS = -62_167_219_200_000;
const LAST_FOUR_DIGIT_MS = 253_402_300_799_999;
let cachedSecondA = Number.NaN;
let cachedPrefixA = '';
let cachedSecondB = Number.NaN;
let cachedPrefixB = '';
const MILLIS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

export function formatLine(e: TrackedEvent, columns: LineColumns): string {
  let line =
    formatTimestamp(e.serverTS) +
    '\t' +
    formatTimestamp(e.clientTS) +
    '\t' +
    bare(e.origAddress) +
    '\t' +
    bare(e.visitorId) +
    '\t' +
    bare(e.sessionId) +
    '\t' +
    quoted(e.page) +
    '\t' +
    quoted(e.referer) +
    '\t' +
    quoted(e.ua) +
    '\t' +
    quoted(e.type) +
    '\t' +
    quoted(e.visitorParams) +
    '\t' +
    quoted(e.sessionParams) +
    '\t' +
    quoted(e.eventParams) +
    '\t' +
    e.browserWidth +
    '\t' +
    e.browserHeight +
    '\t' +
    e.screenWidth +
    '\t' +
    e.screenHeight +
    '\t' +
    quoted(e.browserLanguage) +
    '\t' +
    // Bare like the original's StringBuilder.append(String): a missing offset reads `null`.
    bare(e.tzOffset);
  if (columns.globalVisitorId) line += '\t' + (e.globalVisitorId === null ? '' : bare(e.globalVisitorId));
  line += inlinedColumns(e.visitorParams, columns.inlinedVisitorParams);
  line += inlinedColumns(e.sessionParams, columns.inlinedSessionParams);
  line += inlinedColumns(e.eventParams, columns.inlinedEventParams);
  return line + '\n';
}

function inlinedColumns(params: string | null, names: readonly string[]): string {
  if (names.length === 0) return '';
  const values = params ? parseQueryString(params) : undefined;
  let out = '';
  for (const name of names) out += '\t' + inlined(values?.get(name));
  return out;
}

/**
 * Reverses `bare` / `quoted` for one field (used by `wt1 cat` and the tests). Returns null for a
 * missing value: `null`, and in a quoted column `"null"` (how WT1 and wt1 write a missing value
 * there; a value that is the text `null` reads as missing too, as in WT1's files).
 * `isQuoted` says whether the column is a quoted one (see `quotedColumns`); without it the quotes
 * are guessed from the field, which misreads a bare value that itself starts and ends with `"`.
 */
export function unescapeField(field: string, isQuoted?: boolean): string | null {
  if (field === 'null' || (field === '"null"' && isQuoted !== false)) return null;
  let s = field;
  const strip = isQuoted ?? (s.length >= 2 && s[0] === '"' && s[s.length - 1] === '"');
  if (strip) {
    if (s.length < 2 || s[0] !== '"' || s[s.length - 1] !== '"')
      throw new Error(`quoted field without its quotes: ${JSON.stringify(field.slice(0, 80))}`);
    s = s.slice(1, -1);
  }
  if (!s.includes('\\')) return s;
  return s.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

const QUOTED_BASE = new Set([
  'location',
  'referer',
  'user-agent',
  'type',
  'visitor_params',
  'session_params',
  'event_params',
  'br_lang',
]);

/**
 * For each column of a header (names without the leading `#`), whether its fields are quoted: the
 * base columns as in WT1-REFERENCE §7, `global_visitor_id` bare, every inlined column quoted.
 */
export function quotedColumns(header: readonly string[]): boolean[] {
  return header.map((name, i) => {
    if (i < BASE_COLUMNS.length) return QUOTED_BASE.has(name);
    return !(i === BASE_COLUMNS.length && name === 'global_visitor_id');
  });
}
