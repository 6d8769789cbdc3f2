import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestartBackoff } from '../../src/cluster/restart-backoff.js';

test('quick deaths double the wait up to the cap; a stable life resets it', () => {
  const backoff = new RestartBackoff({ initialMs: 100, maxMs: 1000, stableMs: 10_000 });
  assert.deepEqual(
    [50, 50, 50, 50, 50, 50].map((lived) => backoff.nextDelay(lived)),
    [100, 200, 400, 800, 1000, 1000],
  );
  assert.equal(backoff.nextDelay(10_000), 100);
  assert.equal(backoff.nextDelay(10), 200);
});
