import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anonymizeAddress, isLoopback, normalizeAddress, TrustedProxies } from '../../src/event/client-address.js';

test('IPv4-mapped IPv6 addresses are shown as plain IPv4; brackets and zones dropped', () => {
  assert.equal(normalizeAddress('::ffff:203.0.113.9'), '203.0.113.9');
  assert.equal(normalizeAddress('::FFFF:127.0.0.1'), '127.0.0.1');
  assert.equal(normalizeAddress('[2001:db8::1]'), '2001:db8::1');
  assert.equal(normalizeAddress('fe80::1%eth0'), 'fe80::1');
  assert.equal(normalizeAddress('2001:db8::1'), '2001:db8::1');
  assert.equal(normalizeAddress('::ffff:abcd'), '::ffff:abcd');
});

test(
  'the default (loopback, private) trusts a local load balancer: ' + 'XFF read right to left, trusted hops skipped',
  () => {
    const t = new TrustedProxies(['loopback', 'private']);
    assert.equal(t.clientAddress('::ffff:127.0.0.1', '203.0.113.9', undefined), '203.0.113.9');
    // The client may forge the left part; the hop our proxy appended is the rightmost untrusted one.
    assert.equal(t.clientAddress('10.0.0.2', '6.6.6.6, 198.51.100.7, 10.0.0.5', undefined), '198.51.100.7');
    assert.equal(t.clientAddress('10.0.0.2', '::ffff:198.51.100.7', undefined), '198.51.100.7');
    // Garbage hops are skipped; when every hop is trusted, the leftmost one is the client.
    assert.equal(t.clientAddress('10.0.0.2', 'garbage, 192.168.1.20, 10.0.0.5', undefined), '192.168.1.20');
    // X-Real-IP when there is no XFF; the peer when neither is usable.
    assert.equal(t.clientAddress('127.0.0.1', undefined, ' 198.51.100.8 '), '198.51.100.8');
    assert.equal(t.clientAddress('127.0.0.1', 'nonsense', 'also-nonsense'), '127.0.0.1');
  },
);

test('forwarding headers from an untrusted peer are ignored', () => {
  const t = new TrustedProxies(['loopback', 'private']);
  assert.equal(t.clientAddress('203.0.113.9', '1.2.3.4', '5.6.7.8'), '203.0.113.9');
  assert.equal(t.clientAddress('::ffff:203.0.113.9', '1.2.3.4', undefined), '203.0.113.9');
});

test('trustedProxies=none trusts nobody, not even loopback', () => {
  const t = new TrustedProxies(['none']);
  assert.equal(t.clientAddress('127.0.0.1', '203.0.113.9', '198.51.100.1'), '127.0.0.1');
  assert.equal(t.isTrusted('127.0.0.1'), false);
});

test('CIDR and single-address entries, IPv4 and IPv6', () => {
  const t = new TrustedProxies(['198.51.100.0/24', '2001:db8::/32', '192.0.2.1']);
  assert.equal(t.isTrusted('198.51.100.200'), true);
  assert.equal(t.isTrusted('198.51.101.1'), false);
  assert.equal(t.isTrusted('2001:db8:1::5'), true);
  assert.equal(t.isTrusted('2001:db9::5'), false);
  assert.equal(t.isTrusted('192.0.2.1'), true);
  assert.equal(t.isTrusted('192.0.2.2'), false);
  assert.equal(t.isTrusted('127.0.0.1'), false);
  assert.equal(t.clientAddress('198.51.100.3', '203.0.113.4', undefined), '203.0.113.4');
  assert.equal(t.clientAddress('10.0.0.1', '203.0.113.4', undefined), '10.0.0.1');
  assert.equal(t.isTrusted('not-an-ip'), false);
});

test('config validation names bad entries', () => {
  assert.deepEqual(TrustedProxies.validate(['loopback', 'private', 'none', 'all', '10.0.0.0/8', '::1']), []);
  assert.equal(TrustedProxies.validate(['10.0.0.0/40', 'lb.example', '1.2.3.4/x']).length, 3);
});

test('loopback and anonymization', () => {
  assert.equal(isLoopback('127.0.0.1'), true);
  assert.equal(isLoopback('::ffff:127.0.0.2'), true);
  assert.equal(isLoopback('::1'), true);
  assert.equal(isLoopback('127.example.com'), false);
  assert.equal(isLoopback('10.0.0.1'), false);
  assert.equal(anonymizeAddress('203.0.113.99'), '203.0.113.0');
  assert.equal(anonymizeAddress('2001:db8:aaaa:bbbb::1'), '2001:db8:aaaa::');
});

test(
  'issue 15 §4: forwarding headers from an untrusted private peer are ignored and ' +
    'warned about once; public peers and trusted ones are not warned about',
  () => {
    const warned: string[] = [];
    const t = new TrustedProxies(['loopback'], (peer) => warned.push(peer));
    assert.equal(
      t.clientAddress('10.1.2.3', '198.51.100.7', undefined),
      '10.1.2.3',
      'a VPC neighbour cannot forge its address any more',
    );
    assert.equal(t.clientAddress('::ffff:192.168.1.9', undefined, '198.51.100.8'), '192.168.1.9');
    assert.equal(t.clientAddress('127.0.0.1', '198.51.100.9', undefined), '198.51.100.9', 'loopback stays trusted');
    assert.deepEqual(warned, ['10.1.2.3'], 'once');
    const quiet: string[] = [];
    const u = new TrustedProxies(['loopback'], (peer) => quiet.push(peer));
    u.clientAddress('203.0.113.5', '198.51.100.7', undefined);
    u.clientAddress('10.0.0.1', undefined, undefined);
    assert.deepEqual(quiet, [], 'a public peer, or a private one without forwarding headers, is not warned about');
  },
);
