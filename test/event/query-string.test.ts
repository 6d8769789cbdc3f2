import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeComponent,
  encodeComponent,
  encodePairs,
  forEachPair,
  parseQueryString,
} from '../../src/event/query-string.js';

const pairs = (qs: string): Array<[string, string]> => {
  const out: Array<[string, string]> = [];
  forEachPair(qs, (k, v) => out.push([k, v]));
  return out;
};

test('+ is a space and percent-escapes are UTF-8 bytes', () => {
  assert.equal(decodeComponent('dark+blue'), 'dark blue');
  assert.equal(decodeComponent('a%20b%2Bc'), 'a b+c');
  assert.equal(decodeComponent('caf%C3%A9+%E2%82%AC'), 'café €');
  assert.equal(decodeComponent('%f0%9f%98%80'), '😀');
  assert.equal(decodeComponent('plain'), 'plain');
});

test('a malformed percent-escape is kept as written, nothing throws', () => {
  assert.equal(decodeComponent('100%'), '100%');
  assert.equal(decodeComponent('%zz%4'), '%zz%4');
  assert.equal(decodeComponent('a%2'), 'a%2');
  assert.equal(decodeComponent('%%41'), '%A');
  assert.equal(decodeComponent('%C3%A9%'), 'é%');
});

test('percent-escaped bytes that are not UTF-8 become U+FFFD', () => {
  assert.equal(decodeComponent('%FF'), '\uFFFD');
  assert.equal(decodeComponent('a%C3b'), 'a\uFFFDb');
  assert.equal(decodeComponent('%E9t%E9'), '\uFFFDt\uFFFD');
});

test('pairs: in order, empty parts skipped, a key without = has an empty value, = in values kept', () => {
  assert.deepEqual(pairs('a=1&&b&c=x=y&=v&a=2&'), [
    ['a', '1'],
    ['b', ''],
    ['c', 'x=y'],
    ['', 'v'],
    ['a', '2'],
  ]);
  assert.deepEqual(pairs(''), []);
  assert.deepEqual(
    [...parseQueryString('a=1&a=2&b=3')],
    [
      ['a', '1'],
      ['b', '3'],
    ],
  );
});

test('encoding is java.net.URLEncoder: A-Z a-z 0-9 . - * _ kept, space as +, the rest %XX of UTF-8', () => {
  assert.equal(encodeComponent('Az09.-*_'), 'Az09.-*_');
  assert.equal(encodeComponent('a b'), 'a+b');
  assert.equal(encodeComponent("~!'()"), '%7E%21%27%28%29');
  assert.equal(encodeComponent('é€\t\n"\\'), '%C3%A9%E2%82%AC%09%0A%22%5C');
  assert.equal(
    encodePairs([
      ['k', 'v w'],
      ['x&y', '='],
    ]),
    'k=v+w&x%26y=%3D',
  );
});

test('decode(encode(s)) gives back s for any string', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => decodeComponent(encodeComponent(s)) === s),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 8 }), (list) => {
      const kept = list.filter(([k, v]) => k !== '' || v !== '');
      assert.deepEqual(pairs(encodePairs(kept)), kept);
    }),
    { numRuns: 300 },
  );
});

test('decoding never throws on arbitrary input', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
      pairs(s);
      return true;
    }),
    { numRuns: 500 },
  );
});
