import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CounterHandler, counterHandler, parseSums, type CounterOptions } from '../../src/handlers/counter.js';
import { findHandler } from '../../src/handlers/registry.js';
import { validateConfig } from '../../src/server/plugins.js';
import { ConfigError } from '../../src/errors.js';
import type { RawValue } from '../../src/config/spec.js';
import type { TrackedEvent } from '../../src/event/event.js';

/** A clock the test moves by hand. */
function manualClock(start = 1_700_000_000_000): { now: () => number; advance(seconds: number): void } {
  let t = start;
  return {
    now: () => t,
    advance: (seconds) => {
      t += seconds * 1000;
    },
  };
}

function event(
  serverTS: number,
  visitorId: string,
  sessionId: string,
  eventParams: string | null = null,
): TrackedEvent {
  return {
    serverTS,
    clientTS: 0,
    origAddress: '127.0.0.1',
    visitorId,
    sessionId,
    globalVisitorId: null,
    page: null,
    referer: null,
    ua: null,
    type: 'page',
    visitorParams: null,
    sessionParams: null,
    eventParams,
    browserWidth: 0,
    browserHeight: 0,
    screenWidth: 0,
    screenHeight: 0,
    browserLanguage: null,
    tzOffset: null,
  };
}

function counter(clock: { now: () => number }, options: Partial<CounterOptions> = {}): CounterHandler {
  return new CounterHandler({
    trackVisitors: true,
    maxVisitors: 1000,
    maxActiveVisits: 1000,
    sessionExpiration: 60,
    sums: [{ name: 'revenue', filterKey: 'type', filterValue: 'purchase', valueKey: 'amount' }],
    now: clock.now,
    ...options,
  });
}

test('a scripted sequence: visitors, visits with one expired and resumed session, the active gauge, a sum', () => {
  const clock = manualClock();
  const h = counter(clock);
  const at = (): number => clock.now();
  h.process(event(at(), 'v1', 's1'));
  h.process(event(at(), 'v1', 's1', 'type=purchase&amount=10.5'));
  h.process(event(at(), 'v2', 's2'));
  assert.deepEqual(h.snapshot(), {
    visitorsCounter: 2,
    visitsCounter: 2,
    activeVisitsGauge: 2,
    sums: { revenue: { nbElems: 1, totalValue: 10.5 } },
    visitorsCounterCapped: false,
    evictedActiveVisits: 0,
  });

  clock.advance(30);
  h.process(event(at(), 'v1', 's1', 'type=purchase&amount=4.25'));
  clock.advance(40); // t=70 s: s2 idle for 70 s > 60 s has ended; s1 (idle 40 s) is still active
  assert.deepEqual(h.snapshot(), {
    visitorsCounter: 2,
    visitsCounter: 2,
    activeVisitsGauge: 1,
    sums: { revenue: { nbElems: 2, totalValue: 14.75 } },
    visitorsCounterCapped: false,
    evictedActiveVisits: 0,
  });

  h.process(event(at(), 'v3', 's3', 'type=purchase&amount=abc')); // not a number: not summed
  h.process(event(at(), 'v3', 's3', 'type=view&amount=99')); // filter does not match
  clock.advance(30); // t=100 s: s1 idle for 70 s has ended; it comes back as a new visit
  h.process(event(at(), 'v1', 's1'));
  assert.deepEqual(h.snapshot(), {
    visitorsCounter: 3,
    visitsCounter: 4,
    activeVisitsGauge: 2,
    sums: { revenue: { nbElems: 2, totalValue: 14.75 } },
    visitorsCounterCapped: false,
    evictedActiveVisits: 0,
  });

  clock.advance(3600);
  const late = h.snapshot();
  assert.equal(late.activeVisitsGauge, 0);
  assert.equal(late.visitsCounter, 4);
});

test('a visit ends as soon as it has been idle for more than sessionExpiration, not up to a second later', () => {
  const clock = manualClock(); // at a whole second: counted in whole seconds, the visit would last until 3.0 s
  const h = counter(clock, { sessionExpiration: 2 });
  h.process(event(clock.now(), 'v1', 's1'));
  clock.advance(1.99);
  assert.equal(h.snapshot().activeVisitsGauge, 1, 'idle 1.99 s');
  clock.advance(0.02);
  assert.equal(h.snapshot().activeVisitsGauge, 0, 'idle 2.01 s');
});

test('trackVisitors=false keeps no visitor set: visitorsCounter stays 0, visits still count', () => {
  const clock = manualClock();
  const h = counter(clock, { trackVisitors: false });
  for (let i = 0; i < 10; i++) h.process(event(clock.now(), `v${i}`, `s${i % 3}`));
  const s = h.snapshot();
  assert.equal(s.visitorsCounter, 0);
  assert.equal(s.visitsCounter, 3);
});

test('past maxVisitors the visitor count stops and says so; past maxActiveVisits the oldest visit ends early', () => {
  const clock = manualClock();
  const h = counter(clock, { maxVisitors: 3, maxActiveVisits: 2 });
  for (const v of ['a', 'b', 'c', 'a', 'b']) h.process(event(clock.now(), v, 's1'));
  assert.equal(h.snapshot().visitorsCounterCapped, false, 'known visitors do not cap');
  h.process(event(clock.now(), 'd', 's2'));
  h.process(event(clock.now(), 'e', 's1')); // s1 is now the most recent
  h.process(event(clock.now(), 'f', 's3')); // full: s2 (least recently seen) ends early
  const s = h.snapshot();
  assert.equal(s.visitorsCounter, 3);
  assert.equal(s.visitorsCounterCapped, true);
  assert.equal(s.activeVisitsGauge, 2);
  assert.equal(s.evictedActiveVisits, 1);
  assert.equal(s.visitsCounter, 3);
  h.process(event(clock.now(), 'g', 's1')); // s1 survived the eviction: no new visit
  assert.equal(h.snapshot().visitsCounter, 3);
});

test('sums read decimals like Double.parseDouble and show them without binary noise', () => {
  const clock = manualClock();
  const h = counter(clock);
  const amounts = ['0.1', '0.2', ' 1e2 ', '-0.3', '.5', '0x10', '', 'NaN', 'Infinity', '1,5', '12abc'];
  for (const a of amounts) h.process(event(clock.now(), 'v', 's', `type=purchase&amount=${encodeURIComponent(a)}`));
  h.process(event(clock.now(), 'v', 's', 'type=purchase')); // no value: skipped, not a failure
  assert.deepEqual(h.snapshot().sums, { revenue: { nbElems: 5, totalValue: 100.5 } });
});

test('sum params: a sum lacking one of its three keys is a config problem naming the key', () => {
  assert.deepEqual(
    parseSums({ 'sum.r.filterKey': 't', 'sum.r.filterValue': 'p', 'sum.r.valueKey': 'a', trackVisitors: 'true' }).sums,
    [{ name: 'r', filterKey: 't', filterValue: 'p', valueKey: 'a' }],
  );
  const config = (keys: Record<string, RawValue>): unknown =>
    validateConfig(new Map<string, RawValue>(Object.entries(keys)));
  assert.throws(
    () =>
      config({
        'handler.live.class': 'com.dataiku.wt1.handlers.CounterHandler',
        'handler.live.params.sum.revenue.filterKey': 'type',
        'handler.live.params.sum.revenue.filterValue': 'purchase',
      }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.length === 1 &&
      e.problems[0].startsWith('handler.live.params.sum.revenue: ') &&
      e.problems[0].includes('sum.revenue.valueKey'),
  );
  assert.throws(
    () =>
      config({
        'handler.live.class': 'counter',
        'handler.live.params.sum.revenue.filterKeys': 'type',
        'handler.live.params.trackVisitors': 'maybe',
      }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.length === 2 &&
      e.problems.some((p) => p.startsWith('handler.live.params.sum.revenue.filterKeys: unknown key')) &&
      e.problems.some((p) => p.startsWith('handler.live.params.trackVisitors: ')),
  );
  const ok = config({
    'handler.live.class': 'com.dataiku.wt1.handlers.CounterHandler',
    'handler.live.params.trackVisitors': 'false',
    'handler.live.params.maxVisitors': '5000',
    'handler.live.params.sum.revenue.filterKey': 'type',
    'handler.live.params.sum.revenue.filterValue': 'purchase',
    'handler.live.params.sum.revenue.valueKey': 'amount',
  }) as { handlers: Array<{ kind: string; params: Record<string, unknown> }> };
  assert.equal(ok.handlers[0].kind, 'counter');
  assert.deepEqual(ok.handlers[0].params, { trackVisitors: false, maxVisitors: 5000, maxActiveVisits: 1_000_000 });
  assert.equal(findHandler('com.dataiku.wt1.handlers.CounterHandler'), counterHandler);
  assert.equal(findHandler('counter'), counterHandler);
});
