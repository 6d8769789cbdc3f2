import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PostHog } from 'posthog-node';
import { startTestServer, removeDir } from '../helpers/server.js';
import { readAllRows, type Row } from '../helpers/files.js';

const params = (row: Row, column: 'event_params' | 'visitor_params'): Record<string, string> =>
  Object.fromEntries(new URLSearchParams(row[column] ?? ''));

test('posthog-node: capture, $pageview, identify and alias land as one line each, flags answered empty', async () => {
  const server = await startTestServer({ 'inputs.posthog.apiKeys': 'phc_node' });
  const posthog = new PostHog('phc_node', { host: server.url, flushAt: 20, flushInterval: 0, fetchRetryCount: 0 });
  let flag: unknown;
  let flagKeys: unknown;
  let metrics = '';
  try {
    posthog.capture({
      distinctId: 'user-1',
      event: 'Order Completed',
      properties: {
        total: 42.5,
        paid: true,
        cart: { items: 3, coupon: 'SPRING' },
        tags: ['a', 'b'],
        $current_url: 'https://shop.example/cart?step=3',
        $referrer: 'https://search.example/?q=wt1',
        $session_id: 'sess-9',
        gone: null,
      },
      timestamp: new Date('2026-01-02T03:04:05.678Z'),
    });
    posthog.capture({
      distinctId: 'user-1',
      event: '$pageview',
      properties: {
        $current_url: 'https://shop.example/',
        $referrer: '$direct',
        $screen_width: 1920,
        $screen_height: 1080,
        $viewport_width: 1280,
        $viewport_height: 700,
        $set: { plan: 'pro' },
        $set_once: { first_seen: '2026-01-01', plan: 'free' },
      },
    });
    posthog.identify({ distinctId: 'user-1', properties: { email: 'a@b.example' } });
    posthog.alias({ distinctId: 'user-1', alias: 'anon-7' });
    // A flag asked of wt1's /flags/: none exists (posthog-node then also captures $feature_flag_called).
    const flags = await posthog.evaluateFlags('user-1');
    flag = flags.getFlag('new-checkout');
    flagKeys = flags.keys;
    await posthog.shutdown(10_000);
    metrics = await (await fetch(`${server.url}/metrics`)).text();
  } finally {
    await server.stop();
  }
  assert.equal(flag, undefined, 'wt1 answers no feature flags');
  assert.deepEqual(flagKeys, []);
  // One /flags/ request and one /batch/ request, both answered by wt1.
  assert.match(metrics, /wt1_input_requests_total\{input="posthog",outcome="accepted"\} 2\n/);
  assert.doesNotMatch(metrics, /input="posthog",outcome="refused"\} [1-9]/);
  const rows = readAllRows(server.root).filter((r) => r.type !== '$feature_flag_called');
  assert.deepEqual(
    rows.map((r) => r.type),
    ['Order Completed', 'page', '$identify', '$create_alias'],
  );
  const [order, view, identify, alias] = rows;
  for (const row of rows) {
    assert.equal(row.visitor_id, 'user-1');
    assert.equal(row['user-agent'], `posthog-node/${posthogNodeVersion()}`, "no $raw_user_agent: the request's");
    const p = params(row, 'event_params');
    assert.equal(p._input, 'posthog');
    assert.equal(p._site, 'phc_node');
    assert.equal(p.$lib, 'posthog-node');
    assert.equal(p.$lib_version, posthogNodeVersion());
    assert.match(p._messageId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'the uuid');
    assert.ok(row.client_ts !== null && row.client_ts !== '', 'client_ts from timestamp');
  }
  assert.equal(order.location, 'https://shop.example/cart?step=3');
  assert.equal(order.referer, 'https://search.example/?q=wt1');
  assert.equal(order.session_id, 'sess-9');
  assert.equal(order.client_ts, '2026-01-02T03:04:05.678');
  assert.deepEqual(params(order, 'event_params'), {
    total: '42.5',
    paid: 'true',
    'cart.items': '3',
    'cart.coupon': 'SPRING',
    tags: '["a","b"]',
    $lib: 'posthog-node',
    $lib_version: posthogNodeVersion(),
    $is_server: 'true',
    $geoip_disable: 'true',
    _messageId: params(order, 'event_params')._messageId,
    _input: 'posthog',
    _site: 'phc_node',
  });
  assert.equal(order.visitor_params, null);

  assert.equal(view.location, 'https://shop.example/');
  assert.equal(view.referer, null, '$direct is no referrer');
  assert.equal(view.session_id, '');
  assert.deepEqual([view.sc_width, view.sc_height, view.br_width, view.br_height], ['1920', '1080', '1280', '700']);
  assert.deepEqual(params(view, 'visitor_params'), { plan: 'pro', first_seen: '2026-01-01' }, '$set wins');
  assert.equal(params(view, 'event_params').$set, undefined);

  assert.deepEqual(params(identify, 'visitor_params'), { email: 'a@b.example' });
  assert.equal(params(alias, 'event_params').alias, 'anon-7');
  removeDir(server.root);
});

function posthogNodeVersion(): string {
  const file = path.join(process.cwd(), 'node_modules/posthog-node/package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
