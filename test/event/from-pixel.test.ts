import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { eventFromPixel, generateId, lenientInt, type RequestFacts } from '../../src/event/from-pixel.js';
import { encodePairs, forEachPair } from '../../src/event/query-string.js';

const facts: RequestFacts = { now: 1_700_000_000_000, clientAddress: '203.0.113.9', referer: 'https://site.example/from-referer', userAgent: 'UA/1', globalVisitorId: null };

test('lenient integers: sign and digits only, anything else gives 0', () => {
  assert.equal(lenientInt('1280'), 1280);
  assert.equal(lenientInt('-60'), -60);
  assert.equal(lenientInt('+5'), 5);
  for (const bad of [undefined, '', 'abc', '12px', '1.5', ' 12', '0x10', '1e3', '99999999999999999999', 'NaN']) assert.equal(lenientInt(bad), 0, String(bad));
  assert.equal(lenientInt('1700000000123'), 1700000000123);
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
  const e = eventFromPixel([
    '__wt1ts=1700000000123&__wt1ty=event&__wt1ref=https%3A%2F%2Fsearch.example%2F%3Fq%3Dx&__wt1tzo=-60&__wt1lang=fr-FR' +
    '&__wt1bw=1280&__wt1bh=720&__wt1sw=1920&__wt1sh=1080&__wt1vic=v1&__wt1sic=s1&__wt1vpc=plan%3Dpro&__wt1spc=camp%3Dx' +
    '&__wt1vic=v2&color=dark+blue&q=caf%C3%A9&__wt1bw=9',
  ], facts);
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
  assert.equal(eventFromPixel(['__wt1loc=https%3A%2F%2Fsite.example%2Fa%3Fb%3Dc'], facts).page, 'https://site.example/a?b=c');
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
  const key = fc.oneof(fc.constantFrom('__wt1ty', '__wt1vic', '__wt1unknown', '__wt1', '__wt1loc', 'a', 'b'), fc.string({ maxLength: 8 }).map((s) => '__wt1' + s), fc.string({ maxLength: 8 }));
  fc.assert(fc.property(fc.array(fc.tuple(key, fc.string({ maxLength: 10 })), { maxLength: 10 }), (list) => {
    const qs = list.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    const e = eventFromPixel([qs], facts);
    for (const part of e.eventParams!.split('&')) assert.ok(!decodeURIComponent(part.split('=')[0].replace(/\+/g, ' ')).startsWith('__wt1'), `${part} leaked from ${qs}`);
  }), { numRuns: 300 });
});

test('custom params copied as they came read the same as decoded and re-encoded ones, whatever their raw form', () => {
  // Raw text mixing URLEncoder's safe characters, '+', escapes (valid or not) and characters it would encode.
  const rawText = fc.array(fc.constantFrom('a', 'Z', '0', '.', '-', '*', '_', '+', '%20', '%2B', '%41', '%C3%A9', '%', '%zz', '~', '!', "'", '(', 'é', ' ', '='), { maxLength: 6 }).map((parts) => parts.join(''));
  fc.assert(fc.property(fc.array(fc.tuple(rawText.filter((k) => !k.includes('=')), rawText, fc.boolean()), { maxLength: 6 }), (list) => {
    const qs = list.map(([k, v, withEquals]) => (withEquals ? `${k}=${v}` : k)).join('&');
    // The former way: decode every pair, keep the custom ones, encode them again.
    const pairs: Array<[string, string]> = [];
    forEachPair(qs, (k, v) => { if (!k.startsWith('__wt1')) pairs.push([k, v]); });
    assert.equal(eventFromPixel([qs], facts).eventParams, encodePairs(pairs), qs);
  }), { numRuns: 300 });
});
