import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type OutgoingHttpHeaders } from 'node:http';
import { startTestServer, removeDir } from '../helpers/server.js';
import { isLoopbackHost } from '../../src/server/admin-guard.js';

/** A request with node:http, which (unlike fetch) may set Host and any header. */
function call(
  port: number,
  method: string,
  path: string,
  headers: OutgoingHttpHeaders,
): Promise<{ status: number; code: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, code: String(res.headers['x-wt1-error'] ?? ''), body }),
      );
    });
    req.on('error', reject);
    req.end(method === 'POST' ? 'x' : undefined);
  });
}

const ADMIN = [
  ['GET', '/internal/live'],
  ['POST', '/internal/flush'],
  ['GET', '/metrics'],
  ['GET', '/internal/handlers'],
  ['GET', '/internal/'],
] as const;

test(
  'issue 15 §2 without adminToken: a direct local request only; every repro of ' +
    'the audit is refused with 403 saying how to set adminToken',
  async () => {
    for (const trustedProxies of ['loopback', 'none', 'all']) {
      const server = await startTestServer({ trustedProxies });
      try {
        for (const [method, path] of ADMIN) {
          for (const host of [
            '127.0.0.1',
            `127.0.0.1:${server.port}`,
            `localhost:${server.port}`,
            'LOCALHOST',
            '127.8.9.10:1',
            '[::1]:8080',
            '[::1]',
          ]) {
            const ok = await call(server.port, method, path, { Host: host });
            assert.equal(ok.status, 200, `${method} ${path} Host ${host}`);
          }
          const repros: OutgoingHttpHeaders[] = [
            { Forwarded: '192.0.2.2' },
            { 'X-Real-IP': 'x', Forwarded: 'x' },
            { 'X-Forwarded-For': '192.0.2.7', Forwarded: 'for=192.0.2.7' },
            { 'X-Forwarded-For': '127.0.0.1' },
            { 'X-Forwarded-Host': 'localhost' },
            { 'X-Forwarded-Proto': 'https' },
            { Via: '1.1 haproxy' },
            { 'True-Client-IP': '127.0.0.1' },
            { Host: 'rebind.attacker.example' },
            { Host: `rebind.attacker.example:${server.port}` },
            { Host: '127.0.0.1.attacker.example' },
            { Host: 'localhost.attacker.example' },
          ];
          for (const headers of repros) {
            const refused = await call(server.port, method, path, { Host: '127.0.0.1', ...headers });
            assert.equal(
              refused.status,
              403,
              `${method} ${path} ${JSON.stringify(headers)} trustedProxies=${trustedProxies}`,
            );
            assert.equal(refused.code, 'WT1_ERR_FORBIDDEN');
            assert.match(refused.body, /set adminToken/);
          }
        }
        // A cross-site page posting text/plain to flush (no preflight needed) is refused; GET is not changed by Origin.
        for (const headers of [
          { Origin: 'https://evil.example', 'Content-Type': 'text/plain' },
          { 'Sec-Fetch-Site': 'cross-site' },
          { Origin: 'null' },
        ]) {
          const refused = await call(server.port, 'POST', '/internal/flush', { Host: '127.0.0.1', ...headers });
          assert.equal(refused.status, 403, JSON.stringify(headers));
          assert.match(refused.body, /another site/);
        }
        const sameOrigin = await call(server.port, 'POST', '/internal/flush', {
          Host: `127.0.0.1:${server.port}`,
          Origin: `http://127.0.0.1:${server.port}`,
          'Sec-Fetch-Site': 'same-origin',
        });
        assert.equal(sameOrigin.status, 200, "the live page's own flush button");
      } finally {
        await server.stop();
        removeDir(server.root);
      }
    }
  },
);

test('issue 15 §2 with adminToken: the Bearer token alone decides, whatever Host, proxy headers or peer', async () => {
  const server = await startTestServer({ adminToken: 'tok-123' });
  try {
    for (const [method, path] of ADMIN.filter(([, p]) => p !== '/internal/')) {
      const ok = await call(server.port, method, path, {
        Host: 'collector.example.com',
        'X-Forwarded-For': '203.0.113.1',
        Authorization: 'Bearer tok-123',
      });
      assert.equal(ok.status, 200, `${method} ${path}`);
      const refused = await call(server.port, method, path, { Host: '127.0.0.1' });
      assert.equal(refused.status, 401, `${method} ${path}`);
      assert.equal(refused.code, 'WT1_ERR_UNAUTHORIZED');
    }
  } finally {
    await server.stop();
    removeDir(server.root);
  }
});

test('isLoopbackHost: loopback names and addresses with any port, nothing else', () => {
  for (const host of [
    'localhost',
    'localhost:1',
    '127.0.0.1',
    '127.255.0.1:65535',
    '[::1]',
    '[::1]:80',
    '[::ffff:127.0.0.1]:8080',
  ])
    assert.ok(isLoopbackHost(host), host);
  for (const host of [
    '',
    'example.com',
    '127.0.0.1.nip.io',
    '128.0.0.1',
    '[::2]',
    '[::1]x',
    'localhost:abc',
    '127.0.0.1:80:80',
    '0.0.0.0',
    '10.0.0.1',
  ])
    assert.ok(!isLoopbackHost(host), host);
});
