import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { adminGuard, localRefusal } from '../../src/server/admin-guard.js';
import { Wt1Error } from '../../src/errors.js';

// The admin guard's rules on request facts alone (peer, method, headers), no server: every branch
// of each rule. test/server/admin-guard.test.ts runs the audit's repros against a real collector.

function request(facts: { peer?: string; method?: string; headers?: Record<string, string> }): IncomingMessage {
  const headers = { host: '127.0.0.1:8080', ...facts.headers };
  return {
    socket: { remoteAddress: facts.peer ?? '127.0.0.1' },
    method: facts.method ?? 'GET',
    headers,
  } as unknown as IncomingMessage;
}

function refusal(guard: (req: IncomingMessage) => void, req: IncomingMessage): Wt1Error | undefined {
  try {
    guard(req);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof Wt1Error);
    return error;
  }
}

test('admin guard with adminToken: exactly the Bearer token passes (scheme in any case), from anywhere', () => {
  const guard = adminGuard('s3cret token');
  for (const authorization of [
    'Bearer s3cret token',
    'bearer s3cret token',
    'BEARER s3cret token',
    'Bearer   s3cret token  ',
  ]) {
    assert.equal(
      refusal(guard, request({ peer: '203.0.113.9', headers: { authorization } })),
      undefined,
      authorization,
    );
  }
  for (const authorization of [
    '',
    'Bearer',
    'Bearer ',
    'Bearer s3cret',
    'Bearer s3cret token2',
    'Basic s3cret token',
    's3cret token',
  ]) {
    const error = refusal(guard, request({ headers: authorization ? { authorization } : {} }));
    assert.equal(error?.code, 'WT1_ERR_UNAUTHORIZED', JSON.stringify(authorization));
    assert.equal(error?.status, 401);
    assert.equal(error?.headers?.['WWW-Authenticate'], 'Bearer realm="wt1"');
  }
  assert.ok(refusal(guard, request({})), 'loopback without the token is refused too');
});

test('admin guard without adminToken: a direct local request passes (IPv4, IPv6, IPv4-mapped loopback)', () => {
  const guard = adminGuard('');
  for (const peer of ['127.0.0.1', '127.3.4.5', '::1', '::ffff:127.0.0.1']) {
    assert.equal(refusal(guard, request({ peer })), undefined, peer);
  }
  for (const host of ['localhost', 'LocalHost:80', '[::1]:8080', '127.0.0.1']) {
    assert.equal(localRefusal(request({ headers: { host } })), '', host);
  }
  for (const method of ['POST', 'DELETE']) {
    assert.equal(localRefusal(request({ method })), '', `${method} without Origin`);
    assert.equal(localRefusal(request({ method, headers: { origin: 'http://localhost:8080' } })), '');
    assert.equal(localRefusal(request({ method, headers: { 'sec-fetch-site': 'same-origin' } })), '');
  }
});

test('admin guard without adminToken: each rule refuses with 403, naming why and how to set a token', () => {
  const guard = adminGuard('');
  const cases: [Parameters<typeof request>[0], RegExp][] = [
    [{ peer: '192.0.2.1' }, /the client 192\.0\.2\.1 is not loopback/],
    [{ peer: '::ffff:10.0.0.1' }, /is not loopback/],
    [{ peer: '' }, /the client \(unknown\) is not loopback/],
    [{ headers: { 'x-forwarded-for': '127.0.0.1' } }, /through a proxy \(x-forwarded-for header\)/],
    [{ headers: { 'x-forwarded-anything': 'x' } }, /x-forwarded-anything/],
    [{ headers: { forwarded: 'for=127.0.0.1' } }, /\(forwarded header\)/],
    [{ headers: { via: '1.1 nginx' } }, /\(via header\)/],
    [{ headers: { 'x-real-ip': '127.0.0.1' } }, /\(x-real-ip header\)/],
    [{ headers: { host: 'evil.example' } }, /Host "evil\.example" is not a loopback name/],
    [{ headers: { host: '127.0.0.1.evil.example' } }, /is not a loopback name/],
    [{ headers: { host: 'localhost:80x' } }, /is not a loopback name/],
    [{ method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } }, /another site \(Sec-Fetch-Site: cross-site\)/],
    [
      { method: 'POST', headers: { origin: 'https://evil.example' } },
      /another site \(Origin "https:\/\/evil\.example"\)/,
    ],
    [{ method: 'POST', headers: { origin: 'null' } }, /another site \(Origin "null"\)/],
  ];
  for (const [facts, why] of cases) {
    const error = refusal(guard, request(facts));
    assert.equal(error?.code, 'WT1_ERR_FORBIDDEN', JSON.stringify(facts));
    assert.equal(error?.status, 403);
    assert.match(error?.message ?? '', why);
    assert.match(error?.message ?? '', /set adminToken \(WT1_ADMIN_TOKEN\)/);
  }
  const noHost = request({});
  delete noHost.headers.host;
  assert.match(localRefusal(noHost), /Host "\(none\)"/);
  // GET and HEAD change nothing and a cross-site page cannot read their answer: Origin is not checked.
  assert.equal(localRefusal(request({ method: 'GET', headers: { origin: 'https://evil.example' } })), '');
});
