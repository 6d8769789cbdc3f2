import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EventBuffer } from '../../src/client/buffer.js';

test('a full buffer drops the oldest and counts it', () => {
  const b = new EventBuffer<number>(3);
  for (let i = 1; i <= 5; i++) b.push(i);
  assert.equal(b.length, 3);
  assert.equal(b.dropped, 2);
  assert.deepEqual(b.take(10), [3, 4, 5]);
  assert.equal(b.length, 0);
});

test('never holds more than its capacity; keeps the newest in order; pushed = taken + held + dropped', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20 }),
      fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 7 })), { maxLength: 200 }),
      (capacity, ops) => {
        const b = new EventBuffer<number>(capacity);
        const model: number[] = [];
        let next = 0;
        let taken = 0;
        for (const op of ops) {
          if (op === -1) {
            b.push(next);
            model.push(next++);
            if (model.length > capacity) model.shift();
          } else {
            const got = b.take(op);
            assert.deepEqual(got, model.splice(0, op));
            taken += got.length;
          }
          assert.ok(b.length <= capacity);
          assert.equal(b.length, model.length);
        }
        assert.equal(next, taken + b.length + b.dropped);
      },
    ),
  );
});
