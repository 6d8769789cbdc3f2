import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { DurableSpool } from '../../src/storage-thread/durable-spool.js';
import { eventLine, lineEvent } from '../../src/storage-thread/spool-line.js';
import type { TrackedEvent } from '../../src/event/event.js';
import type { FlushResult, StorageEngine } from '../../src/storage/engine.js';
import { removeDir, tempDir } from '../helpers/server.js';

/**
 * An engine that confirms what the test says: `refusing` makes writes throw (its server away),
 * `confirm(n)` acknowledges the next n accepted events in order.
 */
class ConfirmingEngine implements StorageEngine {
  readonly accepted: Array<{ id: string; page: string | null }> = [];
  refusing = false;
  private confirmedCount = 0;
  async open(): Promise<void> {}
  write(event: TrackedEvent, id?: string): void {
    if (this.refusing) throw new Error('away');
    this.accepted.push({ id: id!, page: event.page });
  }
  confirm(n = Number.POSITIVE_INFINITY): void {
    this.confirmedCount = Math.min(this.accepted.length, this.confirmedCount + n);
  }
  confirmed(): number {
    return this.confirmedCount;
  }
  async flush(): Promise<FlushResult> {
    return { published: [] };
  }
  async close(): Promise<void> {}
  stats(): Record<string, number> {
    return {};
  }
}

function event(n: number): TrackedEvent {
  return {
    serverTS: 1_700_000_000_000 + n,
    clientTS: 0,
    origAddress: '127.0.0.1',
    visitorId: `v${n % 7}`,
    sessionId: 's',
    globalVisitorId: null,
    page: `p${n}`,
    referer: null,
    ua: 'ua "quoted"\n',
    type: 'e',
    visitorParams: null,
    sessionParams: null,
    eventParams: `n=${n}`,
    browserWidth: 1,
    browserHeight: 2,
    screenWidth: 3,
    screenHeight: 4,
    browserLanguage: 'fr',
    tzOffset: '-60',
  };
}

const logger = pino({ level: 'silent' });
const segments = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.seg'));

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), what);
}

function spoolOn(engine: ConfirmingEngine, dir: string, maxBytes = 64 * 1024): DurableSpool {
  return new DurableSpool(engine, { dir, maxBytes, idPrefix: 'test', logger, onRemoved: () => {} });
}

test('spool line: every field survives, a torn line is a hole', () => {
  const e = event(3);
  assert.deepEqual(lineEvent(eventLine(e).slice(0, -1)), e);
  assert.equal(lineEvent(eventLine(e).slice(0, 20)), undefined);
});

test('durable spool: segments, in-order writes with stable ids, removal once confirmed, bound', async () => {
  const dir = tempDir();
  try {
    const engine = new ConfirmingEngine();
    // 64 KiB bound: 4 KiB segments, about 40 events of ~100 bytes each.
    const spool = spoolOn(engine, dir);
    await spool.open();
    spool.start();
    let n = 0;
    const batch = (count: number): TrackedEvent[] => Array.from({ length: count }, () => event(n++));
    for (let i = 0; i < 10; i++) assert.equal(await spool.append(batch(10)), 10);
    await spool.sync();
    await until('100 written to the engine', () => engine.accepted.length === 100);
    assert.deepEqual(
      engine.accepted.map((a) => a.page),
      Array.from({ length: 100 }, (_, i) => `p${i}`),
    );
    assert.ok(segments(dir).length >= 2, `several segments: ${segments(dir)}`);
    assert.equal(new Set(engine.accepted.map((a) => a.id)).size, 100, 'one id per event');
    assert.match(engine.accepted[0].id, /^test-[0-9a-f]{12}-0$/);
    // Nothing confirmed: nothing removed.
    await new Promise((r) => setTimeout(r, 120));
    const before = spool.bytes;
    assert.ok(before > 0);
    // The first 30 confirmed: the segments wholly below 30 go (none if the first segment is longer).
    engine.confirm(30);
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(spool.bytes, before, 'the first segment holds more than 30 events: kept');
    engine.confirm();
    await until('all removed once all are confirmed', () => spool.bytes === 0 && segments(dir).length === 0);

    // The bound: the engine away, appends stop at maxBytes, the rest refused (not kept, not written).
    engine.refusing = true;
    let kept = 0;
    let refused = 0;
    for (let i = 0; i < 100; i++) {
      const k = await spool.append(batch(10));
      kept += k;
      refused += 10 - k;
    }
    assert.ok(refused > 0, 'past the bound, events are refused');
    assert.ok(spool.full, 'full');
    assert.ok(spool.bytes <= 64 * 1024, `within the bound: ${spool.bytes}`);
    assert.equal(spool.stats().durableSpoolRefused, refused);
    // The server is back: every kept event is written, in order, then everything is removed.
    engine.refusing = false;
    await until('the backlog is written', () => engine.accepted.length === 100 + kept);
    assert.ok(spool.stats().durableSpoolRetries > 0);
    const pages = engine.accepted.slice(100).map((a) => Number(a.page!.slice(1)));
    assert.deepEqual(
      pages,
      [...pages].sort((a, b) => a - b),
      'in order',
    );
    engine.confirm();
    await until('drained', () => spool.bytes === 0);
    assert.equal(spool.full, false);
    await spool.close();
  } finally {
    removeDir(dir);
  }
});

test('durable spool: what is not confirmed at close is written again at the next start, same ids', async () => {
  const dir = tempDir();
  try {
    const first = new ConfirmingEngine();
    const spool = spoolOn(first, dir);
    await spool.open();
    spool.start();
    const events = Array.from({ length: 150 }, (_, i) => event(i));
    for (let i = 0; i < 150; i += 10) assert.equal(await spool.append(events.slice(i, i + 10)), 10);
    await spool.sync();
    await until('written', () => first.accepted.length === 150);
    assert.ok(segments(dir).length >= 2, 'several segments');
    first.confirm(100);
    await spool.drain(100);
    spool.stop();
    await spool.close();
    // A crash mid-append leaves a torn line at the end of the last segment: skipped.
    const last = segments(dir).sort().at(-1)!;
    appendFileSync(path.join(dir, last), '[1700000000000,0,"torn');
    // Another process's folder is not taken while it lives.
    writeFileSync(path.join(dir, 'owner'), '1\n');
    await assert.rejects(spoolOn(new ConfirmingEngine(), dir).open(), /durable.spoolDir: .* running process 1/);
    writeFileSync(path.join(dir, 'owner'), '999999999\n');

    const second = new ConfirmingEngine();
    const again = spoolOn(second, dir);
    await again.open();
    again.start();
    await until('the leftovers are written first', () => second.accepted.length >= 50);
    await new Promise((r) => setTimeout(r, 50));
    const firstIds = new Map(first.accepted.map((a) => [a.id, a.page]));
    // Whole segments below the confirmed 70 were removed; the rest comes again, same ids, same events.
    assert.ok(second.accepted.length < 150, `segments confirmed before the stop are not sent again`);
    for (const a of second.accepted) assert.equal(firstIds.get(a.id), a.page, `same id, same event: ${a.id}`);
    const resent = new Set(second.accepted.map((a) => a.page));
    for (let i = 100; i < 150; i++) assert.ok(resent.has(`p${i}`), `p${i} (not confirmed) sent again`);
    assert.equal(again.stats().durableSpoolUnreadableLines, 0, 'the torn line is no event and no hole');
    assert.equal(again.stats().durableSpoolReplayedEvents, second.accepted.length);
    // New events go after the replay.
    assert.equal(await again.append([event(1000)]), 1);
    await until('the new one after the replayed ones', () => second.accepted.at(-1)?.page === 'p1000');
    second.confirm();
    await until('all removed', () => again.bytes === 0);
    await again.close();
  } finally {
    removeDir(dir);
  }
});
