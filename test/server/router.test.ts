import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router, splitUrl, type Route, type RouteHandler } from '../../src/server/router.js';

// The router alone: which declared route a path reaches. The checks each route declares (methods,
// admin, body limits, CORS) are the dispatcher's: test/server/http-dispatch.test.ts.

const nothing: RouteHandler = () => {};
const route = (path: string, extra: Partial<Route> = {}): Route => ({
  path,
  methods: ['GET'],
  handler: nothing,
  ...extra,
});

function routerWith(...paths: string[]): Router {
  const router = new Router();
  for (const p of paths) router.add(route(p), nothing);
  return router;
}

test('router: exact paths first, then the longest prefix; nothing else matches', () => {
  const router = routerWith('/public/p.gif', '/internal/*', '/internal/handlers/*', '/internal/live');
  const found = (path: string): string | undefined => router.find(path)?.route.path;
  assert.equal(found('/public/p.gif'), '/public/p.gif');
  assert.equal(found('/internal/live'), '/internal/live', 'an exact path wins over a prefix');
  assert.equal(
    found('/internal/handlers/counter'),
    '/internal/handlers/*',
    'the longest prefix wins, whatever the order',
  );
  assert.equal(found('/internal/handlers/'), '/internal/handlers/*');
  assert.equal(found('/internal/other'), '/internal/*');
  assert.equal(found('/internal/'), '/internal/*');
  assert.equal(found('/internal'), undefined, 'a prefix route needs its trailing slash');
  assert.equal(found('/public/p.gif/'), undefined);
  assert.equal(found('/PUBLIC/p.gif'), undefined, 'paths are case-sensitive');
  assert.equal(found('/'), undefined);
});

test("router: the original's /wt1 context path reaches the same routes", () => {
  const router = routerWith('/public/p.gif', '/internal/*');
  assert.equal(router.find('/wt1/public/p.gif'), router.find('/public/p.gif'));
  assert.equal(router.find('/wt1/internal/live')?.route.path, '/internal/*');
  assert.equal(router.find('/wt1'), undefined);
  assert.equal(
    router.find('/wt1/wt1/public/p.gif'),
    router.find('/public/p.gif'),
    'an alias of an alias still resolves',
  );
  assert.equal(router.find('/wt2/public/p.gif'), undefined);
});

test('router: a path or prefix declared twice is refused at start', () => {
  const router = routerWith('/a', '/b/*');
  assert.throws(() => router.add(route('/a'), nothing), /route \/a declared twice/);
  assert.throws(() => router.add(route('/b/*'), nothing), /route \/b\/\* declared twice/);
  router.add(route('/b/'), nothing); // an exact /b/ beside the prefix is a different route
  assert.equal(router.find('/b/')?.route.path, '/b/');
  assert.equal(router.find('/b/x')?.route.path, '/b/*');
});

test('router: compiled methods and the Allow header (OPTIONS added for CORS routes; any method: no set)', () => {
  const router = new Router();
  const plain = router.add(route('/p', { methods: ['GET', 'HEAD'] }), nothing);
  assert.deepEqual([...(plain.methods ?? [])], ['GET', 'HEAD']);
  assert.equal(plain.allow, 'GET, HEAD');
  const cors = router.add(
    route('/c', { methods: ['POST'], cors: { headersFor: () => ({}), preflightFor: () => ({}) } }),
    nothing,
  );
  assert.equal(cors.allow, 'POST, OPTIONS');
  const any = router.add(route('/any', { methods: '*' }), nothing);
  assert.equal(any.methods, null);
  assert.equal(any.allow, '');
  assert.equal(router.find('/p'), plain);
});

test('splitUrl: the path and the raw query, split at the first ?', () => {
  assert.deepEqual(splitUrl('/public/p.gif?a=1&b=2'), { path: '/public/p.gif', query: 'a=1&b=2' });
  assert.deepEqual(splitUrl('/x'), { path: '/x', query: '' });
  assert.deepEqual(splitUrl('/x?'), { path: '/x', query: '' });
  assert.deepEqual(splitUrl('/x?a=?b'), { path: '/x', query: 'a=?b' });
  assert.deepEqual(splitUrl('/p%20q?r'), { path: '/p%20q', query: 'r' }, 'nothing decoded');
});
