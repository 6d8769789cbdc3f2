import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  bare,
  formatLine,
  formatTimestamp,
  headerLine,
  quoted,
  quotedColumns,
  unescapeField,
  type LineColumns,
} from '../../src/logfile/line-format.js';
import type { TrackedEvent } from '../../src/event/event.js';
import { parseLine } from '../helpers/files.js';

const plain: LineColumns = {
  globalVisitorId: false,
  inlinedVisitorParams: [],
  inlinedSessionParams: [],
  inlinedEventParams: [],
};
const full: LineColumns = {
  globalVisitorId: true,
  inlinedVisitorParams: ['plan'],
  inlinedSessionParams: ['camp'],
  inlinedEventParams: ['sku', 'missing'],
};

const event = (over: Partial<TrackedEvent> = {}): TrackedEvent => ({
  serverTS: Date.UTC(2026, 10, 27, 6, 5, 4, 123),
  clientTS: 0,
  origAddress: '203.0.113.9',
  visitorId: 'v',
  sessionId: 's',
  globalVisitorId: null,
  page: 'https://p/',
  referer: null,
  ua: 'UA',
  type: 'page',
  visitorParams: 'plan=pro',
  sessionParams: null,
  eventParams: 'sku=A%09B',
  browserWidth: 1,
  browserHeight: 2,
  screenWidth: 3,
  screenHeight: 4,
  browserLanguage: 'fr',
  tzOffset: null,
  ...over,
});

const header = (c: LineColumns): string[] => headerLine(c).slice(1, -1).split('\t');

test('the header: WT1 columns, then global_visitor_id, then the inlined columns', () => {
  assert.equal(
    headerLine(plain),
    '#server_ts\tclient_ts\tclient_addr\tvisitor_id\tsession_id\tlocation\treferer\tuser-agent\ttype\t' +
      'visitor_params\tsession_params\tevent_params\tbr_width\tbr_height\tsc_width\tsc_height\tbr_lang\ttz_off\n',
  );
  assert.deepEqual(header(full).slice(17), ['tz_off', 'global_visitor_id', 'plan', 'camp', 'sku', 'missing']);
});

test(
  'a line: UTC timestamps, bare and quoted fields, "null" (quoted, as WT1) for missing ' +
    'quoted values, bare null for tz_off, empty for missing inlined ones',
  () => {
    const line = formatLine(event({ globalVisitorId: 'g1', tzOffset: '-60' }), full);
    assert.equal(
      line,
      '2026-11-27T06:05:04.123\t1970-01-01T00:00:00.000\t203.0.113.9\tv\ts\t"https://p/"\t"null"\t"UA"\t"page"\t' +
        '"plan=pro"\t"null"\t"sku=A%09B"\t1\t2\t3\t4\t"fr"\t-60\tg1\t"pro"\t""\t"A\\tB"\t""\n',
    );
    // A missing tz_off is written null (the original appended a null String); a missing global id is empty.
    const f = formatLine(event(), full).slice(0, -1).split('\t');
    assert.equal(f[17], 'null');
    assert.equal(f[18], '');
  },
);

test('timestamps: UTC yyyy-MM-ddTHH:mm:ss.SSS, epoch for garbage', () => {
  assert.equal(formatTimestamp(1700000000123), '2023-11-14T22:13:20.123');
  assert.equal(formatTimestamp(0), '1970-01-01T00:00:00.000');
  assert.equal(formatTimestamp(Number.NaN), '1970-01-01T00:00:00.000');
  assert.equal(formatTimestamp(1e300), '1970-01-01T00:00:00.000');
  // Years with more or fewer than four digits do not fit the column's shape: written as missing.
  assert.equal(formatTimestamp(253402300799999), '9999-12-31T23:59:59.999');
  assert.equal(formatTimestamp(-62167219200000), '0000-01-01T00:00:00.000');
  assert.equal(formatTimestamp(-1), '1969-12-31T23:59:59.999');
  for (const ms of [253402300800000, 8639999999999999, -62167219200001, -62198755200000]) {
    assert.equal(formatTimestamp(ms), '1970-01-01T00:00:00.000', String(ms));
  }
});

test('escaping: backslash, tab, newline, CR everywhere; " only inside quotes', () => {
  assert.equal(bare('a\\b\tc\nd\re"f'), 'a\\\\b\\tc\\nd\\re"f');
  assert.equal(quoted('a\\b\tc\nd\re"f'), '"a\\\\b\\tc\\nd\\re\\"f"');
  assert.equal(quoted(''), '""');
  assert.equal(quoted(null), '"null"', 'a missing quoted value, as the original writes it (issue 15 §6)');
  assert.equal(unescapeField('"null"', true), null, 'read back as missing');
  assert.equal(unescapeField('"null"'), null);
  assert.equal(unescapeField('null', true), null, 'the bare null of earlier wt1 files too');
  assert.equal(unescapeField('"null"', false), '"null"', 'a bare column keeps its quotes');
  assert.equal(bare(null), 'null');
  assert.equal(unescapeField('"a\\\\b\\tc\\nd\\re\\"f"', true), 'a\\b\tc\nd\re"f');
  assert.equal(unescapeField('"x"', false), '"x"');
  assert.throws(() => unescapeField('x', true), /quoted field without its quotes/);
});

test('quotedColumns marks the quoted columns of a header', () => {
  const q = quotedColumns(header(full));
  assert.deepEqual(
    header(full).filter((_, i) => q[i]),
    [
      'location',
      'referer',
      'user-agent',
      'type',
      'visitor_params',
      'session_params',
      'event_params',
      'br_lang',
      'plan',
      'camp',
      'sku',
      'missing',
    ],
  );
});

test("every hostile value round-trips in every field, and every line has the header's field count", () => {
  const hostile = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.string({
      unit: fc.constantFrom('\\', '\t', '\n', '\r', '"', 'a', 'n', 't', 'r', '\u0000', '\uFFFD', 'é'),
      maxLength: 30,
    }),
    fc.constantFrom('null', '"', '""', '\\', '\\"', '"quoted"', 'a\tb'),
  );
  const maybe = fc.option(hostile, { nil: null });
  const arb = fc.record({
    origAddress: hostile,
    visitorId: hostile,
    sessionId: hostile,
    globalVisitorId: maybe,
    page: maybe,
    referer: maybe,
    ua: maybe,
    type: maybe,
    visitorParams: maybe,
    sessionParams: maybe,
    eventParams: maybe,
    browserLanguage: maybe,
    tzOffset: maybe,
  });
  const names = header(full);
  fc.assert(
    fc.property(arb, (values) => {
      const e = event(values);
      const line = formatLine(e, full);
      assert.ok(line.endsWith('\n'));
      assert.equal(line.indexOf('\n'), line.length - 1, 'one line per event');
      assert.equal(line.includes('\r'), false);
      const row = parseLine(names, line.slice(0, -1)); // throws unless the field count matches
      // A bare string field whose value is literally "null" reads back as null: that is the format.
      const back = (v: string): string | null => (v === 'null' ? null : v);
      assert.equal(row.client_addr, back(e.origAddress));
      assert.equal(row.visitor_id, back(e.visitorId));
      assert.equal(row.session_id, back(e.sessionId));
      assert.equal(row.global_visitor_id, e.globalVisitorId === null ? '' : back(e.globalVisitorId));
      // A quoted value that is literally "null" reads back as missing: WT1 writes a missing one so.
      const backQuoted = (v: string | null): string | null => (v === 'null' ? null : v);
      assert.equal(row.location, backQuoted(e.page));
      assert.equal(row.referer, backQuoted(e.referer));
      assert.equal(row['user-agent'], backQuoted(e.ua));
      assert.equal(row.type, backQuoted(e.type));
      assert.equal(row.visitor_params, backQuoted(e.visitorParams));
      assert.equal(row.session_params, backQuoted(e.sessionParams));
      assert.equal(row.event_params, backQuoted(e.eventParams));
      assert.equal(row.br_lang, backQuoted(e.browserLanguage));
      assert.equal(row.tz_off, e.tzOffset === null ? null : back(e.tzOffset));
    }),
    { numRuns: 1000 },
  );
});
