import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, removeDir } from '../helpers/server.js';
import { startHaproxy } from '../helpers/haproxy.js';

/**
 * Issue 15 §2 through a real HAProxy on the same host (`option forwardfor`): its requests reach the
 * collector from a loopback peer, so only the forwarding headers tell they were relayed.
 */
test(
  'through a local HAProxy (option forwardfor), no admin endpoint ' +
    'answers without adminToken, whatever the client sends',
  async () => {
    const server = await startTestServer();
    const haproxy = await startHaproxy([{ name: 'n1', port: server.port }]);
    try {
      const direct = await fetch(`${server.url}/internal/live`);
      assert.equal(direct.status, 200, 'a direct local request gets in');
      await direct.text();
      const tries: Array<[string, string, Record<string, string>]> = [
        ['GET', '/internal/live', {}],
        ['GET', '/internal/live', { Forwarded: '192.0.2.2' }],
        ['GET', '/internal/live', { 'X-Real-IP': 'x', Forwarded: 'x' }],
        ['GET', '/internal/live', { 'X-Forwarded-For': '127.0.0.1', Forwarded: 'for=127.0.0.1' }],
        ['POST', '/internal/flush', { 'Content-Type': 'text/plain' }],
        ['GET', '/metrics', {}],
        ['GET', '/internal/handlers', {}],
      ];
      for (const [method, path, headers] of tries) {
        const res = await fetch(`${haproxy.url}${path}`, {
          method,
          headers,
          body: method === 'POST' ? 'x' : undefined,
        });
        assert.equal(res.status, 403, `${method} ${path} ${JSON.stringify(headers)}`);
        assert.equal(res.headers.get('x-wt1-error'), 'WT1_ERR_FORBIDDEN');
        assert.match(await res.text(), /came through a proxy .*set adminToken/);
      }
      const pixel = await fetch(`${haproxy.url}/public/p.gif?__wt1ty=page`);
      assert.equal(pixel.status, 200, 'the public side is unchanged');
      await pixel.arrayBuffer();
    } finally {
      await haproxy.stop();
      await server.stop();
      removeDir(server.root);
    }
  },
);

test('through a local HAProxy with adminToken, the Bearer token opens the admin side', async () => {
  const server = await startTestServer({ adminToken: 'tok-xyz' });
  const haproxy = await startHaproxy([{ name: 'n1', port: server.port }]);
  try {
    const ok = await fetch(`${haproxy.url}/internal/live`, { headers: { Authorization: 'Bearer tok-xyz' } });
    assert.equal(ok.status, 200);
    await ok.text();
    const refused = await fetch(`${haproxy.url}/internal/live`);
    assert.equal(refused.status, 401);
    await refused.text();
  } finally {
    await haproxy.stop();
    await server.stop();
    removeDir(server.root);
  }
});
