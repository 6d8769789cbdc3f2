import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InOrderCount } from '../../src/storage/in-order-count.js';

test('InOrderCount: counts from 0 only up to the first event not yet final', () => {
  const c = new InOrderCount();
  c.done(1);
  c.done(2);
  assert.equal(c.count, 0, '0 is not final yet');
  c.done(0);
  assert.equal(c.count, 3);
  c.done(4);
  c.done(3);
  assert.equal(c.count, 5);
  c.done(2); // an old answer again: no effect
  assert.equal(c.count, 5);
});
