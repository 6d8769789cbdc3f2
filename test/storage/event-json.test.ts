import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeParams, eventToJson } from '../../src/storage/event-json.js';
import { sampleEvent } from '../helpers/events.js';

test('event-json: the Kafka engine keys, in order, raw params, missing values omitted', () => {
  const json = eventToJson(sampleEvent({ sessionParams: null, referer: null, browserHeight: 0, type: null }), {
    decodeParams: false,
  });
  assert.deepEqual(Object.keys(json), [
    'visitorId',
    'sessionId',
    'origAddress',
    'serverTS',
    'clientTS',
    'visitorParams',
    'eventParams',
    'page',
    'tzOffset',
    'browserWidth',
    'screenWidth',
    'screenHeight',
    'ua',
    'browserLanguage',
  ]);
  assert.equal(json.serverTS, '2026-11-27T06:05:04.123Z');
  assert.equal(json.clientTS, '2026-11-27T06:05:03.999Z');
  assert.equal(json.eventParams, 'color=blue&price=12.5&n=3&tag=a&tag=b');
  assert.equal(json.ua, 'Mozilla/5.0 (X11) tab\there');
});

test('event-json: decodeParams types single values and keeps repeated keys as arrays', () => {
  const json = eventToJson(sampleEvent({ globalVisitorId: 'g1' }), { decodeParams: true });
  assert.deepEqual(json.eventParams, { color: 'blue', price: 12.5, n: 3, tag: ['a', 'b'] });
  assert.deepEqual(json.visitorParams, { plan: 'pro' });
  assert.deepEqual(json.sessionParams, {}, 'missing params decode to an empty object');
  assert.equal(json.globalVisitorId, 'g1');
  assert.equal(json.clientTS, '2026-11-27T06:05:03.999Z');
});

test('event-json: decoding edge cases never lose digits or produce non-JSON numbers', () => {
  assert.deepEqual(decodeParams('a=-7&b=%2B3&c=1e3&d=.5&e=NaN&f=Infinity&g=12345678901234567890&h=0x10&i=&j'), {
    a: -7,
    b: 3,
    c: 1000,
    d: 0.5,
    e: 'NaN',
    f: 'Infinity',
    g: '12345678901234567890',
    h: '0x10',
    i: '',
    j: '',
  });
  assert.deepEqual(decodeParams('k=caf%C3%A9+au+lait'), { k: 'café au lait' });
  assert.deepEqual(decodeParams(null), {});
  assert.equal(JSON.stringify(decodeParams('x=1e999')), '{"x":"1e999"}');
});
