import { test } from 'node:test';
import assert from 'node:assert/strict';
import { javaHashSetOrder, javaStringHash, orderInlined } from '../../src/logfile/inlined-order.js';

const order = (list: string): string => javaHashSetOrder(list.split(',')).join(' ');

test('inlined order (issue 15 §6): the three orders seen in the headers of a running WT1', () => {
  assert.equal(order('plan,tier,country'), 'country tier plan');
  assert.equal(order('campaign,source,sp'), 'campaign source sp');
  assert.equal(
    order('price,product,sku,qty,category,currency,z,a,seq'),
    'a product price qty currency z sku category seq',
  );
});

test(
  'inlined order: table growth (32 names: 16 → 32 → 64 buckets), non-ASCII ' +
    'names and colliding hashes, as Java 17 iterates them',
  () => {
    // Expected strings printed by `new HashSet<String>()` + add() of each name on OpenJDK 17.
    const many = [
      ...Array.from({ length: 27 }, (_, i) => `n${i}`),
      'utm_source',
      'utm_medium',
      'utm_campaign',
      'été',
      'Ω',
    ];
    assert.equal(
      javaHashSetOrder(many).join(' '),
      'n0 n1 n2 n3 n4 n5 utm_medium n6 n7 n8 n9 n10 n12 n11 n14 n13 n16 n15 n18 n17 n19 été utm_campaign Ω n21 n20 ' +
        'n23 n22 n25 n24 n26 utm_source',
    );
    // "Aa" and "BB" have the same hashCode: one bucket, insertion order.
    assert.equal(javaStringHash('Aa'), javaStringHash('BB'));
    assert.equal(order('Aa,BB,C#,plan,tier'), 'Aa BB C# tier plan');
    assert.equal(order('BB,Aa'), 'BB Aa');
  },
);

test('String.hashCode over UTF-16 units, in 32-bit ints', () => {
  assert.equal(javaStringHash(''), 0);
  assert.equal(javaStringHash('hello'), 99162322);
  // Values printed by Java 17 ("...".hashCode()): the multiplication overflows, as in Java.
  assert.equal(javaStringHash('x'.repeat(100)), 1680682496);
  assert.equal(javaStringHash('utm_campaign'), -64687999);
  assert.equal(javaStringHash('😀'), 0xd83d * 31 + 0xde00);
});

test('inlinedParamsOrder=listed keeps the config order; a name listed twice counts once', () => {
  assert.deepEqual(orderInlined(['plan', 'tier', 'country'], 'listed'), ['plan', 'tier', 'country']);
  assert.deepEqual(orderInlined(['plan', 'tier', 'country'], 'hashset'), ['country', 'tier', 'plan']);
  assert.deepEqual(javaHashSetOrder(['b', 'a', 'b']), ['a', 'b']);
});
