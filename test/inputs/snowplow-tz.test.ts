import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zoneOffset } from '../../src/inputs/snowplow-tz.js';

test("snowplow tz → tz_off: minutes as getTimezoneOffset() at the event's time; null for no zone", () => {
  assert.equal(zoneOffset('Europe/Paris', Date.UTC(2026, 0, 15)), '-60');
  assert.equal(zoneOffset('Europe/Paris', Date.UTC(2026, 6, 15)), '-120', 'summer time');
  assert.equal(zoneOffset('America/St_Johns', Date.UTC(2026, 0, 15)), '210', 'half hours, west of UTC');
  assert.equal(zoneOffset('Asia/Kathmandu', Date.UTC(2026, 0, 15)), '-345');
  assert.equal(zoneOffset('UTC', Date.UTC(2026, 0, 15)), '0');
  assert.equal(zoneOffset('Africa/Abidjan', Date.UTC(2026, 0, 15)), '0');
  assert.equal(zoneOffset('Mars/Olympus_Mons', Date.UTC(2026, 0, 15)), null);
  assert.equal(zoneOffset('x'.repeat(100), Date.UTC(2026, 0, 15)), null);
  assert.equal(zoneOffset('Europe/Paris', 9e15), null, 'a time past what a Date holds');
});
