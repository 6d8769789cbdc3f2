import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { anonymizeAddress, TrustedProxies } from '../../src/event/client-address.js';
import { clientAddressOf, type AppContext } from '../../src/server/context.js';
import { validateConfig } from '../../src/server/plugins.js';
import type { RawValue } from '../../src/config/spec.js';
import { removeDir, startTestServer } from '../helpers/server.js';
import { readAllRows } from '../helpers/files.js';

test('anonymizeAddress keeps the /24 of an IPv4 address', () => {
  assert.equal(anonymizeAddress('203.0.113.77'), '203.0.113.0');
  assert.equal(anonymizeAddress('10.1.2.255'), '10.1.2.0');
  assert.equal(anonymizeAddress('0.0.0.0'), '0.0.0.0');
});

test('anonymizeAddress keeps the /48 of an IPv6 address, whatever its spelling', () => {
  assert.equal(anonymizeAddress('2001:db8:abcd:1234:5678:9abc:def0:1234'), '2001:db8:abcd::');
  assert.equal(anonymizeAddress('2001:0DB8:ABCD:0012::1'), '2001:db8:abcd::');
  assert.equal(anonymizeAddress('2001:db8::1'), '2001:db8:0::');
  assert.equal(anonymizeAddress('2001:db8:abcd::'), '2001:db8:abcd::');
  assert.equal(anonymizeAddress('fe80::1:2:3:4'), 'fe80:0:0::');
  assert.equal(anonymizeAddress('::'), '0:0:0::');
  // Not an address: left alone (nothing to truncate, nothing to leak).
  assert.equal(anonymizeAddress(''), '');
});

function fakeRequest(peer: string, headers: Record<string, string> = {}): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

function contextWith(keys: Record<string, RawValue>): AppContext {
  const config = validateConfig(
    new Map<string, RawValue>(Object.entries({ 'storage.params.rootDir': '/nonexistent', ...keys })),
  );
  return { config, trustedProxies: new TrustedProxies(config.trustedProxies) } as unknown as AppContext;
}

test(
  'clientAddressOf truncates only with anonymizeIp=true, after the ' +
    'trusted-proxy rule, every address (loopback too)',
  () => {
    const on = contextWith({ anonymizeIp: true });
    const off = contextWith({});
    assert.equal(clientAddressOf(on, fakeRequest('198.51.100.23')), '198.51.100.0');
    assert.equal(clientAddressOf(on, fakeRequest('::ffff:198.51.100.23')), '198.51.100.0');
    assert.equal(
      clientAddressOf(on, fakeRequest('127.0.0.1', { 'x-forwarded-for': '2001:db8:1:2::3' })),
      '2001:db8:1::',
    );
    assert.equal(clientAddressOf(off, fakeRequest('198.51.100.23')), '198.51.100.23');
    assert.equal(clientAddressOf(on, fakeRequest('::1')), '0:0:0::');
    assert.equal(clientAddressOf(on, fakeRequest('127.0.0.1')), '127.0.0.0');
    assert.equal(clientAddressOf(off, fakeRequest('127.0.0.1')), '127.0.0.1');
  },
);

test('with anonymizeIp=true every processor sees the truncated address: log file and /internal/live', async () => {
  const server = await startTestServer({ anonymizeIp: true });
  try {
    for (const address of ['203.0.113.77', '2001:db8:abcd:1234:5678::9']) {
      const res = await fetch(`${server.url}/public/p.gif?__wt1ty=page`, { headers: { 'X-Forwarded-For': address } });
      await res.arrayBuffer();
    }
    await (await fetch(`${server.url}/public/p.gif?__wt1ty=page`)).arrayBuffer(); // straight from 127.0.0.1
    // The admin guard still knows the loopback client: it reads the connection, not the event.
    const live = (await (await fetch(`${server.url}/internal/live`)).json()) as {
      lastEvents: Array<{ origAddress: string }>;
    };
    assert.deepEqual(
      live.lastEvents.map((e) => e.origAddress),
      ['127.0.0.0', '2001:db8:abcd::', '203.0.113.0'],
    );
  } finally {
    await server.stop();
  }
  assert.deepEqual(
    readAllRows(server.root).map((r) => r.client_addr),
    ['203.0.113.0', '2001:db8:abcd::', '127.0.0.0'],
  );
  removeDir(server.root);
});
