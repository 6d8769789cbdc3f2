import { formatTimestamp, quotedColumns, unescapeField } from '../logfile/line-format.js';

/** What `wt1 cat` keeps. Times are server_ts keys (`yyyy-MM-ddTHH:mm:ss.SSS`, UTC). */
export interface LineFilter {
  readonly visitors?: ReadonlySet<string>;
  readonly sessions?: ReadonlySet<string>;
  readonly types?: ReadonlySet<string>;
  /** Inclusive. */
  readonly fromKey?: string;
  /** Exclusive. */
  readonly toKey?: string;
}

/** True when the filter needs the fields of a line (not only its server_ts). */
export function needsFields(filter: LineFilter): boolean {
  return filter.visitors !== undefined || filter.sessions !== undefined || filter.types !== undefined;
}

/** Column positions of the filtered fields in one file's header, and whether each column is quoted. */
export interface FilterColumns {
  readonly visitor: number;
  readonly session: number;
  readonly type: number;
  readonly quoted: readonly boolean[];
}

export function filterColumns(columns: readonly string[]): FilterColumns {
  return {
    visitor: columns.indexOf('visitor_id'),
    session: columns.indexOf('session_id'),
    type: columns.indexOf('type'),
    quoted: quotedColumns(columns),
  };
}

/** Throws (from unescapeField) on a quoted field without its quotes: the caller counts the line as malformed. */
export function keepFields(filter: LineFilter, fields: readonly string[], at: FilterColumns): boolean {
  const value = (i: number): string => unescapeField(fields[i] ?? 'null', at.quoted[i]) ?? '';
  if (filter.visitors && !filter.visitors.has(value(at.visitor))) return false;
  if (filter.sessions && !filter.sessions.has(value(at.session))) return false;
  if (filter.types && !filter.types.has(value(at.type))) return false;
  return true;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const DAY_MS = 86_400_000;

/**
 * A UTC time from the command line: `2026-11-27`, `2026-11-27T06:05`, `2026-11-27 06:05:04.123`,
 * with an optional `Z` or `+hh:mm` (no zone means UTC), milliseconds since the epoch, or a time
 * relative to `now`: `30s`, `30m`, `1h`, `2d`, `1w` ago, `now`, `today` and `yesterday` (midnight
 * UTC). Returns the server_ts key, or undefined when it cannot be read.
 */
export function parseTimeArgument(text: string, now: number = Date.now()): string | undefined {
  const s = text.trim();
  let ms: number;
  const relative = /^(\d+)([smhdw])$/i.exec(s);
  const word = s.toLowerCase();
  if (relative) ms = now - Number(relative[1]) * UNIT_MS[relative[2].toLowerCase()];
  else if (word === 'now') ms = now;
  else if (word === 'today') ms = Math.floor(now / DAY_MS) * DAY_MS;
  else if (word === 'yesterday') ms = Math.floor(now / DAY_MS) * DAY_MS - DAY_MS;
  else if (/^\d{10,}$/.test(s)) ms = Number(s);
  else {
    const m = /^(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?))?(Z|[+-]\d\d:?\d\d)?$/i.exec(s);
    if (!m) return undefined;
    const zone = (m[3] ?? 'Z').replace(/^([+-]\d\d)(\d\d)$/, '$1:$2');
    ms = Date.parse(`${m[1]}T${m[2] ?? '00:00'}${zone}`);
  }
  return Number.isNaN(ms) ? undefined : formatTimestamp(ms);
}
