import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/server/plugins.js';
import type { RawValue } from '../../src/config/spec.js';
import { ConfigError } from '../../src/errors.js';
import { startTestServer, removeDir } from '../helpers/server.js';
import { readAllRows } from '../helpers/files.js';
import { ROUTES } from '../../src/server/routes/index.js';
import { inputRoutes } from '../../src/server/routes/inputs.js';
import { RESERVED_PATHS } from '../../src/server/routes/reserved-paths.js';
import { fakePage } from '../snippet/fake-page.js';

// `paths.*` (issue 19, first-party paths): the pixel, the snippet and /public/events renamed, the
// served snippet sending to the renamed pixel, the old paths gone, and bad values refused at load.

const config = (keys: Record<string, RawValue>) => validateConfig(new Map(Object.entries(keys)));

function problemsOf(keys: Record<string, RawValue>): readonly string[] {
  try {
    config(keys);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail(`accepted: ${JSON.stringify(keys)}`);
}

test('paths.*: WT1 paths by default; each bad value is a config problem naming the key and the value', () => {
  assert.deepEqual(config({}).paths, {
    pixel: '/public/p.gif',
    snippet: ['/track.js', '/public/track.js'],
    events: '/public/events',
  });
  const cases: Array<[Record<string, RawValue>, RegExp]> = [
    [{ 'paths.pixel': 'collect/i.gif' }, /^paths\.pixel: "collect\/i\.gif" must start with \/$/],
    [{ 'paths.pixel': '//cdn.example/i.gif' }, /^paths\.pixel: "\/\/cdn\.example\/i\.gif" must start with a single \//],
    [{ 'paths.events': '/e?x=1' }, /^paths\.events: "\/e\?x=1" may hold only URL path characters/],
    [{ 'paths.snippet': '/a.js, /b *.js' }, /^paths\.snippet: "\/b \*\.js" may hold only URL path characters/],
    [{ 'paths.pixel': '/metrics' }, /^paths\.pixel: "\/metrics" is already the path of the Prometheus metrics/],
    [{ 'paths.pixel': '/internal/x.gif' }, /^paths\.pixel: "\/internal\/x\.gif" is already the path of the admin/],
    [{ 'paths.events': '/api/event' }, /^paths\.events: "\/api\/event" is already the path of the plausible input/],
    [{ 'paths.events': '/api/s/batch' }, /^paths\.events: "\/api\/s\/batch" is already the path of the jitsu input/],
    [{ 'paths.pixel': '/c', 'paths.events': '/c' }, /^paths\.events: "\/c" is also paths\.pixel: give each its own$/],
    [{ 'paths.snippet': '/public/p.gif' }, /^paths\.snippet: "\/public\/p\.gif" is also paths\.pixel/],
    [{ 'paths.pixle': '/c' }, /^paths\.pixle: unknown configuration key; did you mean paths\.pixel\?$/],
  ];
  for (const [keys, expected] of cases) {
    const problems = problemsOf(keys);
    assert.equal(problems.length, 1, `${JSON.stringify(keys)}: ${problems.join(' | ')}`);
    assert.match(problems[0], expected);
  }
});

test('paths.*: renamed pixel, snippet and events API work end to end; the old paths answer 404', async () => {
  const server = await startTestServer({
    'paths.pixel': '/collect/i.gif',
    'paths.snippet': '/js/app.js',
    'paths.events': '/collect/batch',
  });
  try {
    const hit = await fetch(`${server.url}/collect/i.gif?__wt1ty=page&__wt1vic=v1&__wt1sic=s1&color=red`, {
      headers: { Referer: 'https://site.example/a' },
    });
    assert.equal(hit.status, 200);
    assert.equal(hit.headers.get('content-type'), 'image/gif');
    const prefixed = await fetch(`${server.url}/wt1/collect/i.gif?__wt1ty=prefixed&__wt1vic=v1`);
    assert.equal(prefixed.status, 200, 'the /wt1 alias applies to renamed paths too');
    const api = await fetch(`${server.url}/collect/batch`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ visitorId: 'v2', events: [{ type: 'signup', page: 'https://site.example/b' }] }),
    });
    assert.equal(api.status, 200);
    assert.deepEqual(await api.json(), { accepted: 1 });
    const script = await fetch(`${server.url}/js/app.js`);
    assert.equal(script.status, 200);
    const code = await script.text();
    assert.ok(code.includes('"/collect/i.gif"'), 'the served snippet names the renamed pixel');
    assert.ok(!code.includes('/public/p.gif'));

    for (const [method, path] of [
      ['GET', '/public/p.gif?__wt1ty=old'],
      ['POST', '/public/events'],
      ['GET', '/track.js'],
      ['GET', '/public/track.js'],
      ['GET', '/wt1/public/p.gif?__wt1ty=old'],
    ]) {
      const old = await fetch(`${server.url}${path}`, {
        method,
        ...(method === 'POST' ? { headers: { 'Content-Type': 'application/json' }, body: '{"events":[{}]}' } : {}),
      });
      assert.equal(old.status, 404, `${method} ${path}`);
      assert.equal(old.headers.get('x-wt1-error'), 'WT1_ERR_NOT_FOUND', path);
    }
  } finally {
    await server.stop();
  }
  const rows = readAllRows(server.root);
  assert.deepEqual(rows.map((r) => r.type).sort(), ['page', 'prefixed', 'signup']);
  const page = rows.find((r) => r.type === 'page')!;
  assert.equal(page.visitor_id, 'v1');
  assert.equal(page.location, 'https://site.example/a');
  assert.equal(page.event_params, 'color=red');
  assert.equal(rows.find((r) => r.type === 'signup')!.visitor_id, 'v2');
  removeDir(server.root);
});

test('the served snippet sends to paths.pixel beside the script, keeping a reverse proxy prefix', () => {
  const paths = { pixel: '/collect/i.gif', snippet: ['/js/app.js', '/a.js'] };
  const cases: Array<[string, string]> = [
    ['https://site.example/js/app.js', 'https://site.example/collect/i.gif?'],
    ['https://site.example/js/app.js?v=1234#x', 'https://site.example/collect/i.gif?'],
    ['https://site.example/stats/js/app.js', 'https://site.example/stats/collect/i.gif?'],
    ['https://site.example/stats/a.js', 'https://site.example/stats/collect/i.gif?'],
    // A copy served under another name: its last segment is replaced (WT1's rule).
    ['https://cdn.example/x/copy.js', 'https://cdn.example/x/collect/i.gif?'],
  ];
  for (const [scriptSrc, expected] of cases) {
    const page = fakePage({ scriptSrc, paths, queued: [['trackPage']] });
    assert.equal(page.images.length, 1, scriptSrc);
    assert.ok(page.images[0].startsWith(expected), `${scriptSrc} -> ${page.images[0]}`);
  }
  const dollar = fakePage({
    scriptSrc: 'https://site.example/a.js',
    paths: { pixel: '/$1/$&.gif', snippet: ['/a.js'] },
    queued: [['trackPage']],
  });
  assert.ok(dollar.images[0].startsWith('https://site.example/$1/$&.gif?'), dollar.images[0]);
  const defaults = fakePage({ scriptSrc: 'https://t.example/wt1/public/track.js?v=abc', queued: [['trackPage']] });
  assert.ok(defaults.images[0].startsWith('https://t.example/wt1/public/p.gif?'), defaults.images[0]);
});

test('RESERVED_PATHS covers every route paths.* cannot take (the list and the routes agree)', async () => {
  for (const thirdPartyCookies of [false, true]) {
    const server = await startTestServer({ thirdPartyCookies });
    try {
      const ctx = server.collector.context;
      const reserved = Object.keys(RESERVED_PATHS);
      const covered = (path: string): boolean =>
        reserved.some((r) => (r.endsWith('*') ? path.startsWith(r.slice(0, -1)) : path === r));
      // inputRoutes' paths are the registry's (added to reservedPaths from it), or renamable.
      for (const routes of ROUTES.filter((r) => r !== inputRoutes))
        for (const { path } of routes(ctx))
          assert.ok(covered(path) || ctx.config.paths.snippet.includes(path), `${path} is not in RESERVED_PATHS`);
      // And no entry is stale: each exact one is served (prefixes answer their own 404s below them).
      for (const path of reserved.filter((r) => !r.endsWith('*'))) {
        const res = await fetch(`${server.url}${path}`);
        assert.notEqual(res.headers.get('x-wt1-error'), 'WT1_ERR_NOT_FOUND', `${path} is served`);
        await res.arrayBuffer();
      }
    } finally {
      await server.stop();
    }
    removeDir(server.root);
  }
});

test('inputs=none leaves WT1 own inputs served: the pixel and /public/events are not tracker inputs', async () => {
  const server = await startTestServer({ inputs: 'none' });
  try {
    assert.equal((await fetch(`${server.url}/public/p.gif?__wt1ty=page`)).status, 200);
    const api = await fetch(`${server.url}/public/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"events":[{"type":"api"}]}',
    });
    assert.deepEqual(await api.json(), { accepted: 1 });
    assert.equal((await fetch(`${server.url}/v1/t`, { method: 'POST', body: '{}' })).status, 404);
  } finally {
    await server.stop();
  }
  assert.deepEqual(
    readAllRows(server.root)
      .map((r) => r.type)
      .sort(),
    ['api', 'page'],
  );
  removeDir(server.root);
});
