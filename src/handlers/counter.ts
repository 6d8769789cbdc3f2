import { hash } from 'node:crypto';
import type { TrackedEvent } from '../event/event.js';
import { parseQueryString } from '../event/query-string.js';
import type { Handler, HandlerContext, HandlerDescriptor } from './handler.js';
import { RecencyList } from './recency-list.js';
import type { SpecTable } from '../config/spec.js';

/** `sum.NAME.filterKey`, `sum.NAME.filterValue`, `sum.NAME.valueKey` (NAME without dots). */
const SUM_PARAM = /^sum\.([^.]+)\.(filterKey|filterValue|valueKey)$/;
const SUM_PARTS = ['filterKey', 'filterValue', 'valueKey'] as const;

/** A decimal number as Java's Double.parseDouble reads it (no hex, no empty string). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

interface SumSpec {
  readonly name: string;
  readonly filterKey: string;
  readonly filterValue: string;
  readonly valueKey: string;
}

interface Sum extends SumSpec {
  nbElems: number;
  totalValue: number;
}

/** The CounterHandler's JSON: WT1's four keys first, then what wt1 adds about its memory bounds. */
export interface CounterSnapshot {
  visitorsCounter: number;
  visitsCounter: number;
  activeVisitsGauge: number;
  sums: Record<string, { nbElems: number; totalValue: number }>;
  /** True once `maxVisitors` distinct visitors were seen: visitorsCounter stops there. */
  visitorsCounterCapped: boolean;
  /** Visits ended early because `maxActiveVisits` visits were active at once (counted in visitsCounter). */
  evictedActiveVisits: number;
}

export interface CounterOptions {
  readonly trackVisitors: boolean;
  readonly maxVisitors: number;
  readonly maxActiveVisits: number;
  /** Inactivity after which a visit ends, in seconds (the top-level `sessionExpiration`). */
  readonly sessionExpiration: number;
  readonly sums: readonly SumSpec[];
  readonly now: () => number;
}

/**
 * The sums declared by `sum.NAME.*` params, in name order, and the problems found (a sum missing
 * one of its three keys).
 */
export function parseSums(rawParams: Readonly<Record<string, string>>): { sums: SumSpec[]; problems: string[] } {
  const parts = new Map<string, Partial<Record<(typeof SUM_PARTS)[number], string>>>();
  for (const [key, value] of Object.entries(rawParams)) {
    const m = SUM_PARAM.exec(key);
    if (!m) continue;
    const entry = parts.get(m[1]) ?? {};
    entry[m[2] as (typeof SUM_PARTS)[number]] = value;
    parts.set(m[1], entry);
  }
  const sums: SumSpec[] = [];
  const problems: string[] = [];
  for (const name of [...parts.keys()].sort()) {
    const p = parts.get(name)!;
    const missing = SUM_PARTS.filter((k) => p[k] === undefined || (k !== 'filterValue' && p[k] === ''));
    if (missing.length > 0) {
      problems.push(
        `sum.${name}: ${missing.map((k) => `sum.${name}.${k}`).join(', ')} must be set too (a sum needs filterKey, ` +
          `filterValue and valueKey)`,
      );
      continue;
    }
    sums.push({ name, filterKey: p.filterKey!, filterValue: p.filterValue!, valueKey: p.valueKey! });
  }
  return { sums, problems };
}

/**
 * What a set or map of visitors / visits holds instead of the id itself: the 16 bytes of its MD5
 * as a one-byte string. Every entry has the same small size whatever the client sent (a megabyte
 * id costs what a 33-character one does), and the entry never keeps alive the request string the
 * id was sliced from. Two ids colliding would need an MD5 collision, far beyond any count here.
 */
function compactKey(id: string): string {
  return hash('md5', id, 'binary'); // 'binary' is latin1: one char per byte
}

/** The unit of the visits' last-seen times. */
const TICK_MS = 10;

/**
 * Real-time counts of the events seen since start (WT1's CounterHandler): distinct visitors,
 * visits (a session id ends its visit after `sessionExpiration` seconds without events), the visits
 * active now, and named sums of an event param over the events matching a filter.
 *
 * Memory is bounded: at most `maxVisitors` visitor keys (then visitorsCounter stays there and says
 * so) and `maxActiveVisits` active visits (then the least recently seen visit is ended early and
 * counted). Active visits are kept in last-seen order, so expiry only ever looks at the oldest
 * ones: no timer, no scan, and the injected clock drives it in tests.
 */
export class CounterHandler implements Handler {
  private readonly visitors = new Set<string>();
  private visitorsCapped = false;
  /**
   * Session keys by the time of their last event in 10 ms ticks counted from `baseTick`, so the
   * value stays a small integer (a V8 Smi, stored inline, for 248 days; an epoch millisecond would
   * cost a heap number more) while expiry is exact to 10 ms.
   */
  private readonly activeVisits = new RecencyList();
  private readonly baseTick: number;
  private endedVisits = 0;
  private evictedVisits = 0;
  private readonly sums: Sum[];

  constructor(private readonly options: CounterOptions) {
    this.sums = options.sums.map((s) => ({ ...s, nbElems: 0, totalValue: 0 }));
    this.baseTick = Math.floor(options.now() / TICK_MS);
  }

  process(event: TrackedEvent): void {
    if (this.options.trackVisitors) this.seeVisitor(event.visitorId);
    this.expire(this.options.now());
    this.seeVisit(event.sessionId, event.serverTS);
    if (this.sums.length > 0 && event.eventParams) this.addToSums(event.eventParams);
  }

  snapshot(): CounterSnapshot {
    this.expire(this.options.now());
    const sums: CounterSnapshot['sums'] = {};
    for (const s of this.sums) sums[s.name] = { nbElems: s.nbElems, totalValue: roundValue(s.totalValue) };
    return {
      visitorsCounter: this.visitors.size,
      visitsCounter: this.endedVisits + this.activeVisits.size,
      activeVisitsGauge: this.activeVisits.size,
      sums,
      visitorsCounterCapped: this.visitorsCapped,
      evictedActiveVisits: this.evictedVisits,
    };
  }

  private seeVisitor(visitorId: string): void {
    const key = compactKey(visitorId);
    if (this.visitors.has(key)) return;
    if (this.visitors.size < this.options.maxVisitors) this.visitors.add(key);
    else this.visitorsCapped = true;
  }

  private seeVisit(sessionId: string, at: number): void {
    if (!this.activeVisits.touch(compactKey(sessionId), this.tickOf(at))) return;
    if (this.activeVisits.size > this.options.maxActiveVisits) {
      // Full: end the least recently seen visit now rather than grow.
      this.activeVisits.removeOldest();
      this.endedVisits++;
      this.evictedVisits++;
    }
  }

  private tickOf(ms: number): number {
    return Math.floor(ms / TICK_MS) - this.baseTick;
  }

  /** Ends the visits idle for more than `sessionExpiration` seconds: they are the oldest entries. */
  private expire(now: number): void {
    const limit = this.tickOf(now) - this.options.sessionExpiration * (1000 / TICK_MS);
    for (
      let oldest = this.activeVisits.oldestTime();
      oldest !== undefined && oldest < limit;
      oldest = this.activeVisits.oldestTime()
    ) {
      this.activeVisits.removeOldest();
      this.endedVisits++;
    }
  }

  private addToSums(eventParams: string): void {
    const params = parseQueryString(eventParams);
    for (const sum of this.sums) {
      if (params.get(sum.filterKey) !== sum.filterValue) continue;
      const raw = params.get(sum.valueKey)?.trim();
      if (raw === undefined || !DECIMAL.test(raw)) continue;
      const value = Number(raw);
      if (!Number.isFinite(value)) continue;
      sum.nbElems++;
      sum.totalValue += value;
    }
  }
}

/** Sums of decimal amounts shown without binary noise (0.1 + 0.2 shows 0.3): 9 decimals at most. */
function roundValue(value: number): number {
  return Math.abs(value) < 1e6 ? Math.round(value * 1e9) / 1e9 : Number(value.toPrecision(15));
}

/** `handler.NAME.params.*` of the counter; the params it receives are typed from this table. */
const COUNTER_PARAMS = {
  trackVisitors: {
    type: 'bool',
    default: true,
    origin: 'WT1',
    description: 'count distinct visitors (false saves the memory of the visitor set)',
  },
  maxVisitors: {
    type: 'int',
    default: 1_000_000,
    min: 1,
    max: 100_000_000,
    origin: 'wt1',
    description:
      'distinct visitors remembered (about 55 bytes each); past it visitorsCounter stops and visitorsCounterCapped ' +
      'is true',
  },
  maxActiveVisits: {
    type: 'int',
    default: 1_000_000,
    min: 1,
    max: 100_000_000,
    origin: 'wt1',
    description:
      'visits tracked at once (about 120 bytes each); past it the least recently seen visit is ended early ' +
      '(evictedActiveVisits)',
  },
} as const satisfies SpecTable;

export const counterHandler: HandlerDescriptor<typeof COUNTER_PARAMS> = {
  name: 'counter',
  wt1ClassNames: ['com.dataiku.wt1.handlers.CounterHandler'],
  params: COUNTER_PARAMS,
  dynamicParams: SUM_PARAM,
  validate(_params, rawParams) {
    return parseSums(rawParams).problems;
  },
  create(params, context: HandlerContext, rawParams) {
    return new CounterHandler({
      trackVisitors: params.trackVisitors,
      maxVisitors: params.maxVisitors,
      maxActiveVisits: params.maxActiveVisits,
      sessionExpiration: context.config.sessionExpiration,
      sums: parseSums(rawParams).sums,
      now: context.now,
    });
  },
};
