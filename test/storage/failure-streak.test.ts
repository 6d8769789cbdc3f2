import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureStreak } from '../../src/storage/failure-streak.js';

test('failure streak: the first failure is logged, then at most one a minute; a success ends the streak', () => {
  const streak = new FailureStreak();
  assert.equal(streak.succeed(), 0, 'no streak to end');
  assert.equal(streak.fail(1_000), true);
  assert.equal(streak.fail(2_000), false);
  assert.equal(streak.fail(61_000), false, 'exactly a minute after the last logged one: not yet');
  assert.equal(streak.fail(61_001), true);
  assert.equal(streak.inARow, 4);
  assert.equal(streak.succeed(), 4);
  assert.equal(streak.inARow, 0);
  assert.equal(streak.fail(61_002), true, 'a new streak logs its first failure at once');
});
