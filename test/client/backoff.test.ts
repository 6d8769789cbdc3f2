import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../../src/client/backoff.js';

const options = { initialDelay: 100, maxDelay: 1000 };

test('delays double from the initial delay up to the cap, jitter within the upper half', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((r) => backoffDelay(r, options, () => 0)), [50, 100, 200, 400, 500, 500]);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((r) => backoffDelay(r, options, () => 0.999999)), [100, 200, 400, 800, 1000, 1000]);
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(3, options);
    assert.ok(d >= 200 && d <= 400, String(d));
  }
});
