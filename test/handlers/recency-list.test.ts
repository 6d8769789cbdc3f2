import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecencyList } from '../../src/handlers/recency-list.js';

function drain(list: RecencyList): number[] {
  const times: number[] = [];
  for (let t = list.oldestTime(); t !== undefined; t = list.oldestTime()) {
    times.push(t);
    list.removeOldest();
  }
  return times;
}

test('keys come out least recently seen first; touching moves a key to the new end', () => {
  const list = new RecencyList();
  assert.equal(list.touch('a', 1), true);
  assert.equal(list.touch('b', 2), true);
  assert.equal(list.touch('c', 3), true);
  assert.equal(list.touch('a', 4), false);
  assert.equal(list.size, 3);
  assert.equal(list.oldestTime(), 2);
  list.removeOldest(); // b
  assert.equal(list.touch('b', 5), true, 'a removed key is new again');
  assert.deepEqual(drain(list), [3, 4, 5]);
  assert.equal(list.size, 0);
  list.removeOldest(); // empty: nothing happens
  assert.equal(list.oldestTime(), undefined);
});

test('a time earlier than the newest is raised to it, so the list stays sorted', () => {
  const list = new RecencyList();
  list.touch('a', 10);
  list.touch('b', 7);
  list.touch('c', 12);
  list.touch('a', 11); // moves a after c, raised to 12
  assert.deepEqual(drain(list), [10, 12, 12]);
});

test('touching the newest key again keeps the order', () => {
  const list = new RecencyList();
  list.touch('a', 1);
  list.touch('b', 2);
  list.touch('b', 3);
  list.touch('b', 4);
  assert.deepEqual(drain(list), [1, 4]);
});
