import { lenientInt } from '../event/from-pixel.js';
import { headerText, hitSessionId, hitVisitorId, type HitFields } from '../event/pixel-hit.js';
import { decodeComponent, encodeComponent, isCanonicallyEncoded } from '../event/query-string.js';
import { bare, formatTimestamp, inlinedColumns, quoted, type LineColumns } from './line-format.js';

/**
 * The log line of a pixel hit, built straight from its raw fields: exactly
 * `formatLine(eventFromHit(hit, idPrefix), columns)` (a property test holds the two together), for
 * a quarter less CPU (`npm run bench:storage`). The storage thread runs this for every hit when the
 * engine stores lines (StorageEngine.writeLine), so it is written for speed:
 * - keys are told apart in place by their characters (no substring, no string comparison); only a
 *   key holding `%` or `+` is decoded;
 * - a value is decoded only when it holds `%` or `+` (found once per query string, not per value);
 * - custom params already in URLEncoder's form are copied as one piece, `k=v` together;
 * - no event object is built, and the headers are checked once for both UTF-8 and escaping.
 */
export function hitLine(hit: HitFields, columns: LineColumns, idPrefix: string): string {
  let ts: string | undefined, ty: string | undefined, ref: string | undefined, tzo: string | undefined;
  let lang: string | undefined, bw: string | undefined, bh: string | undefined, sw: string | undefined;
  let sh: string | undefined, vic: string | undefined, sic: string | undefined, vpc: string | undefined;
  let spc: string | undefined, loc: string | undefined;
  let custom = '';

  const queryStrings = hit.queryStrings;
  for (let q = 0; q < queryStrings.length; q++) {
    const qs = queryStrings[q];
    const n = qs.length;
    // Next `%` and `+` at or after the current pair: each is searched for once per query string.
    let percent = qs.indexOf('%');
    let plus = qs.indexOf('+');
    let start = 0;
    while (start <= n) {
      let end = qs.indexOf('&', start);
      if (end === -1) end = n;
      if (end > start) {
        let eq = qs.indexOf('=', start);
        if (eq > end) eq = -1;
        const keyEnd = eq === -1 ? end : eq;
        if (percent !== -1 && percent < start) percent = qs.indexOf('%', start);
        if (plus !== -1 && plus < start) plus = qs.indexOf('+', start);
        const keyEncoded = (percent !== -1 && percent < keyEnd) || (plus !== -1 && plus < keyEnd);
        let key: string | undefined;
        let slot = CUSTOM;
        if (keyEncoded) {
          key = decodeComponent(qs.slice(start, keyEnd));
          if (key.startsWith('__wt1')) slot = slotOfKey(key, 0, key.length);
        } else if (keyEnd - start >= 5 && qs.startsWith('__wt1', start)) {
          slot = slotOfKey(qs, start, keyEnd);
        }

        if (slot === CUSTOM) {
          // A custom param, re-encoded as URLEncoder would (nearly always: copied as it came).
          if (custom !== '') custom += '&';
          if (isCanonicallyEncoded(qs, start, keyEnd) && (eq === -1 || isCanonicallyEncoded(qs, eq + 1, end))) {
            custom += eq === -1 ? qs.slice(start, end) + '=' : qs.slice(start, end);
          } else {
            const rawValue = eq === -1 ? '' : qs.slice(eq + 1, end);
            custom += encodeComponent(key ?? decodeComponent(qs.slice(start, keyEnd))) + '=' + encodeComponent(decodeComponent(rawValue));
          }
        } else if (slot !== UNKNOWN) {
          let value = eq === -1 ? '' : qs.slice(eq + 1, end);
          if ((percent !== -1 && percent < end) || (plus !== -1 && plus < end)) value = decodeComponent(value);
          // First value wins; unknown __wt1* params are dropped (as in eventFromPixel).
          switch (slot) {
            case TS: ts ??= value; break;
            case TY: ty ??= value; break;
            case REF: ref ??= value; break;
            case TZO: tzo ??= value; break;
            case LANG: lang ??= value; break;
            case BW: bw ??= value; break;
            case BH: bh ??= value; break;
            case SW: sw ??= value; break;
            case SH: sh ??= value; break;
            case VIC: vic ??= value; break;
            case SIC: sic ??= value; break;
            case VPC: vpc ??= value; break;
            case SPC: spc ??= value; break;
            case LOC: loc ??= value; break;
          }
        }
      }
      start = end + 1;
    }
  }

  const refererField = headerField(hit.rawReferer);
  let line =
    formatTimestamp(hit.now) + '\t' +
    formatTimestamp(lenientInt(ts)) + '\t' +
    bare(hit.clientAddress) + '\t' +
    bare(vic === undefined || vic === '' ? hitVisitorId(idPrefix, hit.seq) : vic) + '\t' +
    bare(sic === undefined || sic === '' ? hitSessionId(idPrefix, hit.seq) : sic) + '\t' +
    // The snippet sends the full page URL (modern browsers send only the origin as Referer).
    (loc === undefined || loc === '' ? refererField : quoted(loc)) + '\t' +
    quoted(ref ?? null) + '\t' +
    headerField(hit.rawUserAgent) + '\t' +
    quoted(ty ?? null) + '\t' +
    quoted(vpc ?? null) + '\t' +
    quoted(spc ?? null) + '\t' +
    quoted(custom) + '\t' +
    lenientInt(bw) + '\t' + lenientInt(bh) + '\t' + lenientInt(sw) + '\t' + lenientInt(sh) + '\t' +
    quoted(lang ?? null) + '\t' +
    bare(tzo ?? null);
  if (columns.globalVisitorId) line += '\t' + (hit.globalVisitorId === null ? '' : bare(hit.globalVisitorId));
  line += inlinedColumns(vpc ?? null, columns.inlinedVisitorParams);
  line += inlinedColumns(spc ?? null, columns.inlinedSessionParams);
  line += inlinedColumns(custom, columns.inlinedEventParams);
  return line + '\n';
}

const CUSTOM = -1, UNKNOWN = 0, TS = 1, TY = 2, REF = 3, TZO = 4, LANG = 5, BW = 6, BH = 7, SW = 8, SH = 9, VIC = 10, SIC = 11, VPC = 12, SPC = 13, LOC = 14;
const SLOTS: ReadonlyMap<string, number> = new Map([
  ['ts', TS], ['ty', TY], ['ref', REF], ['tzo', TZO], ['lang', LANG], ['bw', BW], ['bh', BH], ['sw', SW], ['sh', SH],
  ['vic', VIC], ['sic', SIC], ['vpc', VPC], ['spc', SPC], ['loc', LOC],
]);
// The reserved keys by their 2 to 4 characters after `__wt1`, packed into one number: no substring.
const SLOT_BY_CODE = new Map<number, number>([...SLOTS].map(([suffix, slot]) => [packSuffix(suffix, 0, suffix.length), slot]));

function packSuffix(s: string, from: number, to: number): number {
  let code = 0;
  for (let i = from; i < to; i++) code = code * 256 + (s.charCodeAt(i) & 0xff);
  return code;
}

/** The slot of `s.slice(from, to)`, a key that starts with `__wt1`: UNKNOWN when it is no reserved key. */
function slotOfKey(s: string, from: number, to: number): number {
  const length = to - from - 5;
  if (length < 2 || length > 4) return UNKNOWN;
  for (let i = from + 5; i < to; i++) if (s.charCodeAt(i) > 0x7f) return UNKNOWN;
  return SLOT_BY_CODE.get(packSuffix(s, from + 5, to)) ?? UNKNOWN;
}

// Printable ASCII but `"` and `\`: a header made only of these is its own quoted field.
const NOT_PLAIN = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

/** A request header (latin1 as Node hands it over) as a quoted field: one check in the usual case. */
function headerField(raw: string | undefined): string {
  if (raw === undefined) return 'null';
  return NOT_PLAIN.test(raw) ? quoted(headerText(raw)!) : '"' + raw + '"';
}
