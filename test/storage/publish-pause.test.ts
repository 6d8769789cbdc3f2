import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { PublishPause } from '../../src/storage/publish-pause.js';
import { IdleWaiters } from '../../src/storage/idle-waiters.js';

test('a publish pause doubles with the failures in a row up to its cap, and a running pause keeps its end', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let resumed = 0;
    const pause = new PublishPause(300, () => resumed++);
    assert.equal(pause.paused, false);
    pause.afterFailure(3); // 50 * 2^2 = 200 ms
    pause.afterFailure(1); // already paused: the end stays at 200 ms
    mock.timers.tick(199);
    assert.equal(pause.paused, true);
    mock.timers.tick(1);
    assert.deepEqual([pause.paused, resumed], [false, 1]);
    pause.afterFailure(10); // capped at 300 ms
    mock.timers.tick(299);
    assert.equal(pause.paused, true);
    pause.resume(); // the service is back: at once
    assert.deepEqual([pause.paused, resumed], [false, 2]);
    mock.timers.tick(1000);
    assert.equal(resumed, 2, 'the cleared timer does not resume again');
  } finally {
    mock.timers.reset();
  }
});

test('idle waiters resolve at once when idle, on wake(true), or at their timeout', async () => {
  const idle = new IdleWaiters();
  await idle.wait(true, 1_000_000);
  let first = false;
  const a = idle.wait(false, 1_000_000).then(() => (first = true));
  idle.wake(false);
  await new Promise((r) => setImmediate(r));
  assert.equal(first, false, 'not idle yet: still waiting');
  idle.wake(true);
  await a;
  assert.equal(first, true);
  // Nobody wakes it: the timeout ends the wait.
  await idle.wait(false, 5);
});
