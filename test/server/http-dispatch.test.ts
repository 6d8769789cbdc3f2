import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpDispatch } from '../../src/server/http-dispatch.js';
import type { Route } from '../../src/server/router.js';
import { corsPolicy } from '../../src/server/cors.js';
import { Wt1Error } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';

async function serve(routes: Route[], guard = (): void => {}): Promise<{ url: string; server: Server }> {
  const http = createHttpDispatch({ routes, guard, hasAdminToken: false, logger: silentLogger() });
  const server = createServer(http.onRequest);
  server.on('checkContinue', http.onCheckContinue);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test(
  'declared routes: the dispatcher enforces methods, admin, ' + 'body limits and CORS; the route only answers',
  async () => {
    let calls = 0;
    const cors = corsPolicy({ origins: ['https://a.example'], methods: 'POST, OPTIONS', headers: 'Content-Type' });
    const { url, server } = await serve(
      [
        {
          path: '/p',
          methods: ['POST'],
          bodyLimit: 10,
          cors,
          handler: (_req, res) => {
            calls++;
            res.end('ok');
          },
        },
        {
          path: '/admin',
          methods: ['GET'],
          admin: true,
          handler: (_req, res) => {
            calls++;
            res.end('secret');
          },
        },
        {
          path: '/throws',
          methods: '*',
          handler: () => {
            throw new Wt1Error('WT1_ERR_NOT_FOUND');
          },
        },
        {
          path: '/rejects',
          methods: '*',
          handler: async () => {
            throw new Wt1Error('WT1_ERR_BAD_REQUEST', 'field x: bad', { headers: { 'X-Extra': '1' } });
          },
        },
        {
          path: '/bug',
          methods: '*',
          handler: () => {
            throw new TypeError('oops');
          },
        },
      ],
      () => {
        throw new Wt1Error('WT1_ERR_FORBIDDEN', 'no');
      },
    );
    try {
      const get = await fetch(`${url}/p`, { headers: { Origin: 'https://a.example' } });
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST, OPTIONS');
      assert.equal(get.headers.get('x-wt1-error'), 'WT1_ERR_METHOD_NOT_ALLOWED');
      assert.equal(
        get.headers.get('access-control-allow-origin'),
        'https://a.example',
        "error answers carry the route's CORS headers",
      );
      await get.text();
      const preflight = await fetch(`${url}/p`, { method: 'OPTIONS', headers: { Origin: 'https://a.example' } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-methods'), 'POST, OPTIONS');
      const big = await fetch(`${url}/p`, { method: 'POST', body: 'x'.repeat(11) });
      assert.equal(big.status, 413);
      assert.match(await big.text(), /limit of 10 bytes/);
      const ok = await fetch(`${url}/p`, { method: 'POST', body: 'x'.repeat(10) });
      assert.equal(await ok.text(), 'ok');
      const admin = await fetch(`${url}/admin`);
      assert.equal(admin.status, 403);
      assert.equal(await admin.text(), 'Forbidden: no');
      assert.equal(calls, 1, 'refused requests never reach the handler');
      // A detail-less error keeps its whole message (it was sliced into "ot found").
      const thrown = await fetch(`${url}/throws`);
      assert.equal(thrown.status, 404);
      assert.equal(await thrown.text(), 'Not found');
      const rejected = await fetch(`${url}/rejects`);
      assert.equal(rejected.status, 400);
      assert.equal(rejected.headers.get('x-extra'), '1');
      assert.equal(await rejected.text(), 'Bad request: field x: bad');
      const bug = await fetch(`${url}/bug`);
      assert.equal(bug.status, 500);
      assert.equal(bug.headers.get('x-wt1-error'), 'WT1_ERR_INTERNAL');
      assert.doesNotMatch(await bug.text(), /oops/, 'an internal error tells nothing of its cause');
      const missing = await fetch(`${url}/nope`);
      assert.equal(missing.status, 404);
      assert.equal(await missing.text(), 'Not found: no such endpoint: /nope');
    } finally {
      server.close();
    }
  },
);

test('Wt1Error keeps its detail apart from its message', () => {
  const e = new Wt1Error('WT1_ERR_BAD_REQUEST', 'api.maxDepth: 64 exceeded');
  assert.equal(e.detail, 'api.maxDepth: 64 exceeded');
  assert.equal(e.message, 'Bad request: api.maxDepth: 64 exceeded');
  assert.equal(new Wt1Error('WT1_ERR_NOT_FOUND').detail, '');
});
