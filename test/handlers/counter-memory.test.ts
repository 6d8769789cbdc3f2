import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CounterHandler } from '../../src/handlers/counter.js';
import type { TrackedEvent } from '../../src/event/event.js';

// A full collection before each measurement, so the numbers are live memory, not garbage.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function liveHeap(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

const T0 = Date.UTC(2026, 10, 27, 7, 0, 0);

function event(i: number, id: string): TrackedEvent {
  return {
    serverTS: T0 + i,
    clientTS: 0,
    origAddress: '127.0.0.1',
    visitorId: id,
    sessionId: id,
    globalVisitorId: null,
    page: null,
    referer: null,
    ua: null,
    type: 'page',
    visitorParams: null,
    sessionParams: null,
    eventParams: null,
    browserWidth: 0,
    browserHeight: 0,
    screenWidth: 0,
    screenHeight: 0,
    browserLanguage: null,
    tzOffset: null,
  };
}

/** Visitor ids as the pixel makes them for cookie-less clients: Z + 32 hex digits, all distinct. */
function visitorId(i: number): string {
  return 'Z' + i.toString(16).padStart(32, '0');
}

test('a million distinct visitors (each with its own visit) keep the handler within its caps', () => {
  const cap = 100_000;
  const h = new CounterHandler({
    trackVisitors: true,
    maxVisitors: cap,
    maxActiveVisits: cap,
    sessionExpiration: 1800,
    sums: [],
    now: () => T0 + 1_000_000,
  });
  const start = liveHeap();
  let i = 0;
  for (; i < 2 * cap; i++) h.process(event(i, visitorId(i)));
  const full = liveHeap(); // both caps reached: the structures are at their largest
  for (; i < 1_000_000; i++) h.process(event(i, visitorId(i)));
  const end = liveHeap();

  const s = h.snapshot();
  assert.equal(s.visitorsCounter, cap);
  assert.equal(s.visitorsCounterCapped, true);
  assert.equal(s.activeVisitsGauge, cap);
  assert.equal(s.evictedActiveVisits, 1_000_000 - cap);
  assert.equal(s.visitsCounter, 1_000_000);

  const MB = 1024 * 1024;
  const grownAfterCap = end - full;
  const total = end - start;
  // 800 000 more visitors and visits kept would take 800 000 x ~175 bytes = ~130 MB; the caps allow none of it.
  assert.ok(
    grownAfterCap < 4 * MB,
    `the heap grew by ${(grownAfterCap / MB).toFixed(1)} MB after the caps were reached`,
  );
  // Both structures at the cap: about 55 bytes per visitor and 120 per visit (docs/handlers.md); allow twice that.
  assert.ok(
    total < 2 * cap * (55 + 120),
    `the handler holds ${(total / MB).toFixed(1)} MB for ${cap} visitors and ${cap} visits`,
  );
  console.log(
    `# counter memory: ${(total / cap).toFixed(0)} bytes per visitor + visit at the cap; ` +
      `+${(grownAfterCap / MB).toFixed(2)} MB over the next 800 000 distinct visitors`,
  );
});

test('a visitor id of any length costs the same few bytes: the id text itself is never kept', () => {
  const h = new CounterHandler({
    trackVisitors: true,
    maxVisitors: 1_000_000,
    maxActiveVisits: 1_000_000,
    sessionExpiration: 1800,
    sums: [],
    now: () => T0,
  });
  const n = 5000;
  const start = liveHeap();
  for (let i = 0; i < n; i++) {
    // 10 000-character ids, each sliced from a larger request-like string (as the query parser does).
    const request = `__wt1vic=${visitorId(i).repeat(300)}&__wt1sic=x&pad=${'p'.repeat(1000)}`;
    h.process(event(i, request.slice(9, 9 + 10_000)));
  }
  const perVisitor = (liveHeap() - start) / n;
  assert.equal(h.snapshot().visitorsCounter, n);
  assert.ok(perVisitor < 400, `${perVisitor.toFixed(0)} bytes per 10 000-character visitor id`);
});
