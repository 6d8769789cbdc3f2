import type { TrackedEvent } from '../event/event.js';
import { forEachPair } from '../event/query-string.js';

/** A decoded params value: a number when the single value is one, else the string; repeats give an array. */
export type ParamValue = number | string | string[];

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * `decodeParams=true` of WT1's Kafka engine: a query string as an object. A key given once maps
 * to a number when its value is one (integer, then decimal; an integer beyond 2^53 stays a string
 * so that no digit is lost), else to the string; a key given several times maps to the array of
 * its values, as strings. A missing query string gives `{}`.
 */
export function decodeParams(qs: string | null): Record<string, ParamValue> {
  const values = new Map<string, string[]>();
  if (qs) {
    forEachPair(qs, (k, v) => {
      const list = values.get(k);
      if (list) list.push(v);
      else values.set(k, [v]);
    });
  }
  const out: Record<string, ParamValue> = {};
  for (const [k, list] of values) out[k] = list.length === 1 ? typedValue(list[0]) : list;
  return out;
}

function typedValue(v: string): number | string {
  if (INTEGER.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  if (DECIMAL.test(v)) {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  return v;
}

/**
 * One event as the JSON object of WT1's Kafka engine (WT1-REFERENCE §6): same keys, same order,
 * the same rule that a missing value omits its key and a size of 0 is omitted. Times are ISO 8601
 * in UTC with a `Z` (the original printed the server's local zone: a defect).
 */
export function eventToJson(e: TrackedEvent, options: { decodeParams: boolean }): Record<string, unknown> {
  const o: Record<string, unknown> = {
    visitorId: e.visitorId,
    sessionId: e.sessionId,
    origAddress: e.origAddress,
  };
  if (e.type !== null) o.type = e.type;
  o.serverTS = isoUtc(e.serverTS);
  o.clientTS = isoUtc(e.clientTS);
  if (options.decodeParams) {
    o.visitorParams = decodeParams(e.visitorParams);
    o.sessionParams = decodeParams(e.sessionParams);
    o.eventParams = decodeParams(e.eventParams);
  } else {
    if (e.visitorParams !== null) o.visitorParams = e.visitorParams;
    if (e.sessionParams !== null) o.sessionParams = e.sessionParams;
    if (e.eventParams !== null) o.eventParams = e.eventParams;
  }
  if (e.globalVisitorId !== null) o.globalVisitorId = e.globalVisitorId;
  if (e.page !== null) o.page = e.page;
  if (e.referer !== null) o.referer = e.referer;
  if (e.tzOffset !== null) o.tzOffset = e.tzOffset;
  if (e.browserWidth > 0) o.browserWidth = e.browserWidth;
  if (e.browserHeight > 0) o.browserHeight = e.browserHeight;
  if (e.screenWidth > 0) o.screenWidth = e.screenWidth;
  if (e.screenHeight > 0) o.screenHeight = e.screenHeight;
  if (e.ua !== null) o.ua = e.ua;
  if (e.browserLanguage !== null) o.browserLanguage = e.browserLanguage;
  return o;
}

function isoUtc(ms: number): string {
  const d = new Date(Number.isFinite(ms) ? ms : 0);
  return Number.isNaN(d.getTime()) ? '1970-01-01T00:00:00.000Z' : d.toISOString();
}
