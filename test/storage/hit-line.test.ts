import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hitLine } from '../../src/storage/hit-line.js';
import { formatLine, type LineColumns } from '../../src/storage/line-format.js';
import { eventFromHit, type HitFields } from '../../src/event/pixel-hit.js';

// The storage thread writes hitLine(hit); everything else (storageThread=false, the handlers,
// /internal/live) goes through the event. The two must give the same line, byte for byte.
const PREFIX = 'Z0123456789abcdef';
const plain: LineColumns = { globalVisitorId: false, inlinedVisitorParams: [], inlinedSessionParams: [], inlinedEventParams: [] };
const wide: LineColumns = { globalVisitorId: true, inlinedVisitorParams: ['plan'], inlinedSessionParams: ['campaign', 'x y'], inlinedEventParams: ['product', 'é'] };

const viaEvent = (hit: HitFields, columns: LineColumns): string => formatLine(eventFromHit(hit, PREFIX), columns);

function hit(queryStrings: string[], extra: Partial<HitFields> = {}): HitFields {
  return {
    queryStrings,
    now: 1_764_230_400_123,
    clientAddress: '203.0.113.9',
    rawReferer: 'https://shop.example/p?utm_source=mail',
    rawUserAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0',
    globalVisitorId: null,
    seq: 41,
    ...extra,
  };
}

test('a typical snippet hit: the same line as through the event', () => {
  const h = hit([
    '__wt1ts=1700000000123&__wt1ty=page&__wt1ref=https%3A%2F%2Fwww.google.com%2F&__wt1tzo=-60&__wt1lang=fr-FR&__wt1bw=1280' +
    '&__wt1bh=720&__wt1sw=1920&__wt1sh=1080&__wt1vic=a1b2c3d4&__wt1sic=0f1e2d3c&__wt1vpc=plan%3Dpro%26country%3Dfr' +
    '&__wt1spc=campaign%3Dspring&product=sku-1234&category=shoes+and+boots',
  ]);
  const line = hitLine(h, plain, PREFIX);
  assert.equal(line, viaEvent(h, plain));
  const fields = line.slice(0, -1).split('\t');
  assert.equal(fields.length, 18);
  assert.equal(fields[3], 'a1b2c3d4');
  assert.equal(fields[6], '"https://www.google.com/"');
  assert.equal(fields[11], '"product=sku-1234&category=shoes+and+boots"');
  assert.equal(hitLine(h, wide, PREFIX), viaEvent(h, wide));
});

test('the edge cases, each the same as through the event', () => {
  const cases: Array<[string[], Partial<HitFields>?]> = [
    [['']],
    [['&&&=&a&=b&__wt1&__wt1ts']], // empty pairs, keys without values, a bare reserved prefix
    [['__wt1vic=&__wt1sic=']], // empty ids: generated ones
    [['%5F%5Fwt1ty=event&__wt1t%79=other&__wt1ts+=5']], // reserved keys written encoded; `+` in a key
    [['__wt1ty=a&__wt1ty=b', '__wt1ty=c&__wt1bw=7']], // first value wins, across GET and POST
    [['__wt1ts=+12&__wt1bw=-0&__wt1bh=0012&__wt1sw=99999999999999999&__wt1sh=1e3']], // lenient integers
    [['__wt1ts=-62135596800001&__wt1tzo=%09%0A%0D%5C%22']], // a date before year 1; escapes in a bare field
    [['__wt1loc=&__wt1ref=']], // an empty location falls back to the Referer
    [['__wt1loc=https%3A%2F%2Fa.example%2F%22q%22']],
    [['k=%zz%C3%28%E2%82&%C3%A9=caf%C3%A9&a=b=c&sp=a+b&star=*.-_']], // malformed and invalid escapes; non-canonical params
    [['r\u00e9sum\u00e9=\u00e9t\u00e9&x="\\\t']], // latin1 and hostile characters as Node hands them over
    [['__wt1unknown=1&__wt1vpc=a%3Db&__wt1spc=&x+y=1']],
    [['a=1'], { rawReferer: undefined, rawUserAgent: undefined }],
    [['a=1'], { rawReferer: '', rawUserAgent: 'caf\u00c3\u00a9 "quoted" back\\slash\ttab' }], // UTF-8 bytes read as latin1
    [['a=1'], { rawUserAgent: '\u00ff\u00fe broken' }],
    [['a=1'], { globalVisitorId: 'G\t1' }],
    [['a=1'], { clientAddress: '2001:db8::1', seq: 2 ** 40 }],
  ];
  for (const [qs, extra] of cases) {
    const h = hit(qs, extra);
    for (const columns of [plain, wide]) assert.equal(hitLine(h, columns, PREFIX), viaEvent(h, columns), JSON.stringify({ qs, extra, columns }));
  }
});

// Pieces a query string is made of, hostile ones included: every reserved key, plain or encoded.
const KEYS = ['ts', 'ty', 'ref', 'tzo', 'lang', 'bw', 'bh', 'sw', 'sh', 'vic', 'sic', 'vpc', 'spc', 'loc', 'x'].flatMap((k) => [`__wt1${k}`, `%5F_wt1${k}`, `__wt1${k}+`]);
const piece = fc.oneof(
  fc.constantFrom(...KEYS, '=', '&', '%', '%2', '%41', '%C3%A9', '%E2%82', '%FF', '+', '%22', '%5C', '%09', '%0A', '%0D', '"', '\\', '\t', '\u00e9', '*', '-60', '1280', '0', '-0'),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 6 }),
);
const queryString = fc.array(piece, { maxLength: 24 }).map((parts) => parts.join(''));
const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 });

test('property: any hit gives the same line as through the event', () => {
  fc.assert(
    fc.property(
      fc.array(queryString, { minLength: 1, maxLength: 2 }),
      fc.option(latin1, { nil: undefined }),
      fc.option(latin1, { nil: undefined }),
      fc.option(fc.string({ maxLength: 8 }), { nil: null }),
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.boolean(),
      (queryStrings, rawReferer, rawUserAgent, globalVisitorId, seq, useWide) => {
        const h = hit(queryStrings, { rawReferer, rawUserAgent, globalVisitorId, seq });
        const columns = useWide ? wide : plain;
        assert.equal(hitLine(h, columns, PREFIX), viaEvent(h, columns));
      },
    ),
    { numRuns: 3000 },
  );
});
