import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { eventFromPixel, generateId, lenientInt, lenientInt32, type RequestFacts } from '../../src/event/from-pixel.js';
import { headerText } from '../../src/event/pixel-hit.js';
import {
  decodeComponent,
  encodeComponent,
  encodePairs,
  forEachPair,
  forEachRawPair,
} from '../../src/event/query-string.js';

const facts: RequestFacts = {
  now: 1_700_000_000_000,
  clientAddress: '203.0.113.9',
  referer: 'https://site.example/from-referer',
  userAgent: 'UA/1',
  globalVisitorId: null,
};

test('lenient integers: sign and digits only, anything else gives 0', () => {
  assert.equal(lenientInt('1280'), 1280);
  assert.equal(lenientInt('-60'), -60);
  assert.equal(lenientInt('+5'), 5);
  for (const bad of [undefined, '', 'abc', '12px', '1.5', ' 12', '0x10', '1e3', '99999999999999999999', 'NaN'])
    assert.equal(lenientInt(bad), 0, String(bad));
  assert.equal(lenientInt('1700000000123'), 1700000000123);
  // Sizes were Java ints: past 32 bits WT1 failed to parse them and wrote 0.
  assert.equal(lenientInt32('2147483647'), 2147483647);
  assert.equal(lenientInt32('-2147483648'), -2147483648);
  assert.equal(lenientInt32('2147483648'), 0);
  assert.equal(lenientInt32('253402300800000'), 0);
  assert.equal(eventFromPixel(['__wt1bw=253402300800000&__wt1bh=768'], facts).browserWidth, 0);
  assert.equal(eventFromPixel(['__wt1bw=253402300800000&__wt1bh=768'], facts).browserHeight, 768);
});

test('generated ids are Z + 32 hex digits, all different', () => {
  const ids = new Set(Array.from({ length: 200 }, generateId));
  assert.equal(ids.size, 200);
  for (const id of ids) assert.match(id, /^Z[0-9a-f]{32}$/);
});

test('a hit without visitor or session id gets generated ones; empty ids count as missing', () => {
  const e = eventFromPixel(['__wt1ty=page&__wt1sic='], facts);
  assert.match(e.visitorId, /^Z[0-9a-f]{32}$/);
  assert.match(e.sessionId, /^Z[0-9a-f]{32}$/);
  assert.notEqual(e.visitorId, e.sessionId);
});

test('reserved params fill the event; the first value wins; the custom params are re-encoded', () => {
  const e = eventFromPixel(
    [
      '__wt1ts=1700000000123&__wt1ty=event' +
        '&__wt1ref=https%3A%2F%2Fsearch.example%2F%3Fq%3Dx&__wt1tzo=-60&__wt1lang=fr-FR' +
        '&__wt1bw=1280&__wt1bh=720&__wt1sw=1920&__wt1sh=1080&__wt1vic=v1' +
        '&__wt1sic=s1&__wt1vpc=plan%3Dpro&__wt1spc=camp%3Dx' +
        '&__wt1vic=v2&color=dark+blue&q=caf%C3%A9&__wt1bw=9',
    ],
    facts,
  );
  assert.equal(e.clientTS, 1700000000123);
  assert.equal(e.type, 'event');
  assert.equal(e.referer, 'https://search.example/?q=x');
  assert.equal(e.tzOffset, '-60');
  assert.equal(e.browserLanguage, 'fr-FR');
  assert.deepEqual([e.browserWidth, e.browserHeight, e.screenWidth, e.screenHeight], [1280, 720, 1920, 1080]);
  assert.equal(e.visitorId, 'v1');
  assert.equal(e.sessionId, 's1');
  assert.equal(e.visitorParams, 'plan=pro');
  assert.equal(e.sessionParams, 'camp=x');
  assert.equal(e.eventParams, 'color=dark+blue&q=caf%C3%A9');
  assert.equal(e.serverTS, facts.now);
  assert.equal(e.origAddress, '203.0.113.9');
  assert.equal(e.ua, 'UA/1');
});

test('the page is __wt1loc when sent, else the Referer; missing values are null', () => {
  assert.equal(
    eventFromPixel(['__wt1loc=https%3A%2F%2Fsite.example%2Fa%3Fb%3Dc'], facts).page,
    'https://site.example/a?b=c',
  );
  assert.equal(eventFromPixel(['__wt1loc='], facts).page, facts.referer);
  const bare = eventFromPixel([''], { ...facts, referer: undefined, userAgent: undefined });
  assert.equal(bare.page, null);
  assert.equal(bare.ua, null);
  assert.equal(bare.referer, null);
  assert.equal(bare.type, null);
  assert.equal(bare.tzOffset, null);
  assert.equal(bare.browserLanguage, null);
  assert.equal(bare.visitorParams, null);
  assert.equal(bare.eventParams, '');
  assert.equal(bare.clientTS, 0);
});

test('GET query and POST body are both read, the query first', () => {
  const e = eventFromPixel(['__wt1ty=page&a=1', '__wt1ty=event&b=2'], facts);
  assert.equal(e.type, 'page');
  assert.equal(e.eventParams, 'a=1&b=2');
});

test('no __wt1* param ever leaks into the event params, whatever the query', () => {
  const key = fc.oneof(
    fc.constantFrom('__wt1ty', '__wt1vic', '__wt1unknown', '__wt1', '__wt1loc', 'a', 'b'),
    fc.string({ maxLength: 8 }).map((s) => '__wt1' + s),
    fc.string({ maxLength: 8 }),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(key, fc.string({ maxLength: 10 })), { maxLength: 10 }), (list) => {
      const qs = list.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
      const e = eventFromPixel([qs], facts);
      for (const part of e.eventParams!.split('&'))
        assert.ok(
          !decodeURIComponent(part.split('=')[0].replace(/\+/g, ' ')).startsWith('__wt1'),
          `${part} leaked from ${qs}`,
        );
    }),
    { numRuns: 300 },
  );
});

test('custom params copied as they came read the same as decoded and re-encoded ones, whatever their raw form', () => {
  // Raw text mixing URLEncoder's safe characters, '+', escapes (valid or not) and characters it would encode.
  const rawText = fc
    .array(
      fc.constantFrom(
        'a',
        'Z',
        '0',
        '.',
        '-',
        '*',
        '_',
        '+',
        '%20',
        '%2B',
        '%41',
        '%C3%A9',
        '%',
        '%zz',
        '~',
        '!',
        "'",
        '(',
        'é',
        ' ',
        '=',
      ),
      { maxLength: 6 },
    )
    .map((parts) => parts.join(''));
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          rawText.filter((k) => !k.includes('=')),
          rawText,
          fc.boolean(),
        ),
        { maxLength: 6 },
      ),
      (list) => {
        const qs = list.map(([k, v, withEquals]) => (withEquals ? `${k}=${v}` : k)).join('&');
        // The former way: decode every pair, keep the custom ones, encode them again.
        const pairs: Array<[string, string]> = [];
        forEachPair(qs, (k, v) => {
          if (!k.startsWith('__wt1')) pairs.push([k, v]);
        });
        assert.equal(eventFromPixel([qs], facts).eventParams, encodePairs(pairs), qs);
      },
    ),
    { numRuns: 300 },
  );
});

// The parser reads keys in place and decodes only what holds `%` or `+`, for speed. The reference
// below is the plain reading of WT1-REFERENCE §2 (decode every key and value, then look the key
// up); the two must build the same event from any query.
const RESERVED: Record<string, string> = {
  __wt1ts: 'ts',
  __wt1ty: 'ty',
  __wt1ref: 'ref',
  __wt1tzo: 'tzo',
  __wt1lang: 'lang',
  __wt1bw: 'bw',
  __wt1bh: 'bh',
  __wt1sw: 'sw',
  __wt1sh: 'sh',
  __wt1vic: 'vic',
  __wt1sic: 'sic',
  __wt1vpc: 'vpc',
  __wt1spc: 'spc',
  __wt1loc: 'loc',
};
function referenceEvent(queryStrings: readonly string[], f: RequestFacts): ReturnType<typeof eventFromPixel> {
  const v: Record<string, string> = {};
  const custom: string[] = [];
  for (const qs of queryStrings) {
    forEachRawPair(qs, (rawKey, rawValue) => {
      const key = decodeComponent(rawKey);
      const value = decodeComponent(rawValue);
      if (!key.startsWith('__wt1')) custom.push(encodeComponent(key) + '=' + encodeComponent(value));
      else if (Object.hasOwn(RESERVED, key)) v[RESERVED[key]] ??= value;
    });
  }
  const ids = f.generatedIds!();
  return {
    serverTS: f.now,
    clientTS: lenientInt(v.ts),
    origAddress: f.clientAddress,
    visitorId: v.vic || ids[0],
    sessionId: v.sic || ids[1],
    globalVisitorId: f.globalVisitorId,
    page: v.loc || (f.referer ?? null),
    referer: v.ref ?? null,
    ua: f.userAgent ?? null,
    type: v.ty ?? null,
    visitorParams: v.vpc ?? null,
    sessionParams: v.spc ?? null,
    eventParams: custom.join('&'),
    browserWidth: lenientInt(v.bw),
    browserHeight: lenientInt(v.bh),
    screenWidth: lenientInt(v.sw),
    screenHeight: lenientInt(v.sh),
    browserLanguage: v.lang ?? null,
    tzOffset: v.tzo ?? null,
  };
}
const withIds: RequestFacts = { ...facts, generatedIds: () => ['Zgenerated-v', 'Zgenerated-s'] };

test('the edge cases of the query, each read as the plain reading of the reference does', () => {
  const cases: string[][] = [
    [''],
    ['&&&=&a&=b&__wt1&__wt1ts'], // empty pairs, keys without values, a bare reserved prefix
    ['__wt1vic=&__wt1sic='], // empty ids: generated ones
    ['%5F%5Fwt1ty=event&__wt1t%79=other&__wt1ts+=5'], // reserved keys written encoded; `+` in a key
    ['__wt1ty=a&__wt1ty=b', '__wt1ty=c&__wt1bw=7'], // first value wins, across GET and POST
    ['__wt1ts=+12&__wt1bw=-0&__wt1bh=0012&__wt1sw=99999999999999999&__wt1sh=1e3'], // lenient integers
    ['__wt1ts=-62135596800001&__wt1tzo=%09%0A%0D%5C%22'],
    ['__wt1loc=&__wt1ref='], // an empty location falls back to the Referer
    // malformed and invalid escapes; non-canonical params
    ['k=%zz%C3%28%E2%82&%C3%A9=caf%C3%A9&a=b=c&sp=a+b&star=*.-_'],
    ['r\u00e9sum\u00e9=\u00e9t\u00e9&x="\\\t'], // latin1 and hostile characters as Node hands them over
    ['__wt1unknown=1&__wt1vpc=a%3Db&__wt1spc=&x+y=1&__wt1l\u00e1ng=x'],
    [
      '__wt1ts=1700000000123&__wt1ty=page&__wt1ref=https%3A%2F%2Fwww.google.com%2F' +
        '&__wt1vpc=plan%3Dpro%26country%3Dfr&product=sku-1234&category=shoes+and+boots',
    ],
  ];
  for (const qs of cases)
    assert.deepEqual(eventFromPixel(qs, withIds), referenceEvent(qs, withIds), JSON.stringify(qs));
});

// Pieces a query is made of, hostile ones included: every reserved key, plain or encoded.
const KEYS = ['ts', 'ty', 'ref', 'tzo', 'lang', 'bw', 'bh', 'sw', 'sh', 'vic', 'sic', 'vpc', 'spc', 'loc', 'x'].flatMap(
  (k) => [`__wt1${k}`, `%5F_wt1${k}`, `__wt1${k}+`],
);
const latin1Char = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
const piece = fc.oneof(
  fc.constantFrom(
    ...KEYS,
    '=',
    '&',
    '%',
    '%2',
    '%41',
    '%C3%A9',
    '%E2%82',
    '%FF',
    '+',
    '%22',
    '%5C',
    '%09',
    '%0A',
    '%0D',
    '"',
    '\\',
    '\t',
    '\u00e9',
    '*',
    '-60',
    '1280',
    '0',
    '-0',
  ),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: latin1Char, maxLength: 6 }),
);
const queryString = fc.array(piece, { maxLength: 24 }).map((parts) => parts.join(''));

test('property: any query gives the event the plain reading gives', () => {
  fc.assert(
    fc.property(fc.array(queryString, { minLength: 1, maxLength: 2 }), (queryStrings) => {
      assert.deepEqual(eventFromPixel(queryStrings, withIds), referenceEvent(queryStrings, withIds));
    }),
    { numRuns: 3000 },
  );
});

test('property: headers are re-read as UTF-8 exactly when they hold a byte beyond ASCII', () => {
  fc.assert(
    fc.property(fc.string({ unit: latin1Char, maxLength: 40 }), (raw) => {
      const beyondAscii = [...raw].some((c) => c.charCodeAt(0) > 127);
      assert.equal(headerText(raw), beyondAscii ? Buffer.from(raw, 'latin1').toString('utf8') : raw);
    }),
    { numRuns: 1000 },
  );
  assert.equal(headerText(undefined), undefined);
  assert.equal(headerText('caf\u00c3\u00a9'), 'café');
});
