import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RingBuffer } from '../../src/util/ring-buffer.js';

test('ring buffer: behaves as an array used as a deque (push, shift, unshift), across growth and wrap-around', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('push' as const), value: fc.integer() }),
    fc.record({ kind: fc.constant('unshift' as const), value: fc.integer() }),
    fc.record({ kind: fc.constant('shift' as const) }),
    fc.record({ kind: fc.constant('clear' as const) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), fc.integer({ min: 1, max: 8 }), (ops, capacity) => {
      const ring = new RingBuffer<number>(capacity);
      const model: number[] = [];
      for (const o of ops) {
        if (o.kind === 'push') {
          ring.push(o.value);
          model.push(o.value);
        } else if (o.kind === 'unshift') {
          ring.unshift(o.value);
          model.unshift(o.value);
        } else if (o.kind === 'shift') assert.equal(ring.shift(), model.shift());
        else {
          ring.clear();
          model.length = 0;
        }
        assert.equal(ring.length, model.length);
        assert.equal(ring.peek(), model[0]);
      }
      const rest: number[] = [];
      for (let x = ring.shift(); x !== undefined; x = ring.shift()) rest.push(x);
      assert.deepEqual(rest, model);
    }),
    { numRuns: 300 },
  );
});
