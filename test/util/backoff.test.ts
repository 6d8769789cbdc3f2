import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../../src/util/backoff.js';

const options = { initialDelay: 100, maxDelay: 1000 };

test('delays double from the initial delay up to the cap, jitter within the upper half', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map((r) => backoffDelay(r, options, () => 0)),
    [50, 100, 200, 400, 500, 500],
  );
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map((r) => backoffDelay(r, options, () => 0.999999)),
    [100, 200, 400, 800, 1000, 1000],
  );
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(3, options);
    assert.ok(d >= 200 && d <= 400, String(d));
  }
});

test(
  'without jitter: the plain capped exponential (worker restarts, ' + 'broker pauses); a long streak never overflows',
  () => {
    const plain = { initialDelay: 50, maxDelay: 2000, jitter: false };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((r) => backoffDelay(r, plain)),
      [50, 50, 100, 200, 400, 800, 1600, 2000],
    );
    assert.equal(backoffDelay(1_000_000, plain), 2000);
    assert.equal(
      backoffDelay(1_000_000, { initialDelay: 1, maxDelay: 60_000 }, () => 0.5),
      45_000,
    );
  },
);
