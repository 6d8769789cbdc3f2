import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PostHog } from 'posthog-node';
import { startTestServer, removeDir, waitForReceived } from '../helpers/server.js';
import { DESKTOP_USER_AGENT, launchChromium, startSite } from '../helpers/browser.js';
import { bundleForBrowser } from '../helpers/bundle.js';
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

test(
  'posthog-js in Chromium, on a page of another origin: page views, events and page leaves, one visitor; ' +
    "wt1's config and flags make the page load nothing",
  async () => {
    const server = await startTestServer({ 'inputs.posthog.apiKeys': 'phc_browser' });
    const script = await bundleForBrowser(`import posthog from 'posthog-js'; window.posthog = posthog;`);
    const page = (title: string, next: string, more = ''): string => `<!doctype html><html><head>
<title>${title}</title><script src="/posthog.js"></script></head><body><a id="next" href="${next}">next</a>
<script>
  posthog.init('phc_browser', { api_host: '${server.url}', autocapture: false });
  posthog.capture('Clicked', { color: 'blue', n: 3, nested: { deep: { x: 1 } } });
  ${more}
</script></body></html>`;
    const flagsCode = `posthog.onFeatureFlags((flags) => { window.flagsSeen = flags; });
  posthog.reloadFeatureFlags();`;
    const site = await startSite({ '/one': page('Page one', '/two'), '/two': page('Page two', '/one', flagsCode) });
    // posthog-js drops the events of automated browsers (navigator.webdriver).
    const browser = await launchChromium({
      userAgent: DESKTOP_USER_AGENT,
      lang: 'de-DE',
      extraArgs: ['--disable-blink-features=AutomationControlled'],
    });
    const seen: Array<{ method: string; path: string; kind: string; status: number }> = [];
    let flagsSeen: unknown;
    try {
      const context = await browser.newContext({
        userAgent: DESKTOP_USER_AGENT,
        locale: 'de-DE',
        timezoneId: 'Asia/Kolkata',
      });
      await context.route(`${site.url}/posthog.js`, (route) =>
        route.fulfill({ contentType: 'text/javascript', body: script }),
      );
      context.on('requestfinished', async (request) => {
        if (!request.url().startsWith(server.url)) return;
        const response = await request.response();
        const url = new URL(request.url());
        seen.push({
          method: request.method(),
          path: url.pathname,
          kind: `${request.resourceType()} ${url.search} ${request.headers()['content-type']}`,
          status: response!.status(),
        });
      });
      context.on('requestfailed', (request) => {
        if (request.url().startsWith(server.url))
          seen.push({
            method: request.method(),
            path: new URL(request.url()).pathname,
            kind: `${request.resourceType()} failed: ${request.failure()?.errorText}`,
            status: 0,
          });
      });
      const tab = await context.newPage();
      await tab.goto(`${site.url}/one?utm_source=news`, { referer: 'https://search.example/?q=x' });
      await waitForReceived(server, 2, 20_000);
      await tab.click('#next');
      await waitForReceived(server, 5, 20_000);
      await tab.waitForFunction('window.flagsSeen !== undefined', null, { timeout: 20_000 });
      flagsSeen = await tab.evaluate('window.flagsSeen');
      assert.equal(await tab.evaluate('typeof window._POSTHOG_REMOTE_CONFIG'), 'undefined', 'no config script ran');
      const scripts = await tab
        .locator(`script[src^="${server.url}"]`)
        .evaluateAll((list) => list.map((element) => element.getAttribute('src')));
      assert.deepEqual(scripts, [`${server.url}/array/phc_browser/config.js`], 'the one script tried: refused');
    } finally {
      await browser.close();
      await site.stop();
      await server.stop();
    }
    assert.deepEqual(flagsSeen, [], 'posthog-js read no feature flag from /flags/');
    // The only things posthog-js asked wt1: its config (the script form refused), flags, events.
    for (const r of seen) {
      assert.ok(
        ['/e/', '/flags/', '/array/phc_browser/config', '/array/phc_browser/config.js'].includes(r.path),
        r.path,
      );
      // The config as a script is refused (404; Chromium reports a refused script load as aborted).
      if (r.path.endsWith('.js')) assert.ok(r.status === 404 || r.status === 0, `${r.path}: ${r.status}`);
      else assert.equal(r.status, 200, `${r.method} ${r.path} ${r.kind}`);
      if (r.kind.startsWith('script')) assert.equal(r.path, '/array/phc_browser/config.js');
    }
    assert.ok(seen.some((r) => r.path === '/array/phc_browser/config' && r.status === 200));
    assert.ok(seen.some((r) => r.path === '/flags/' && r.status === 200));

    const rows = readAllRows(server.root).sort((a, b) => a.client_ts!.localeCompare(b.client_ts!));
    const kept = rows.filter((r) => r.type !== '$pageleave');
    assert.deepEqual(kept.map((r) => r.type).sort(), ['Clicked', 'Clicked', 'page', 'page']);
    const leaves = rows.filter((r) => r.type === '$pageleave');
    assert.ok(leaves.length >= 1 && leaves.length <= 2, `${leaves.length} $pageleave (page one's, sent by sendBeacon)`);
    assert.equal(leaves[0].location, `${site.url}/one?utm_source=news`);
    const views = rows.filter((r) => r.type === 'page');
    assert.equal(views[0].location, `${site.url}/one?utm_source=news`);
    assert.equal(views[1].location, `${site.url}/two`);
    // posthog-js's $referrer is the session's referrer (kept in its session storage), on every page.
    assert.equal(views[0].referer, 'https://search.example/?q=x');
    assert.equal(views[1].referer, 'https://search.example/?q=x');
    assert.equal(params(views[0], 'event_params').title, 'Page one');
    assert.equal(params(views[0], 'event_params').utm_source, 'news');
    assert.equal(params(views[1], 'event_params').title, 'Page two');
    const visitors = new Set(rows.map((r) => r.visitor_id));
    assert.equal(visitors.size, 1, 'the distinct_id stays the same across pages');
    assert.match([...visitors][0]!, /^[0-9a-f-]{36}$/);
    const sessions = new Set(rows.map((r) => r.session_id));
    assert.equal(sessions.size, 1);
    assert.match([...sessions][0]!, /^[0-9a-f-]{36}$/);
    for (const row of rows) {
      assert.equal(row['user-agent'], DESKTOP_USER_AGENT);
      assert.equal(row.br_lang, 'de-DE');
      assert.equal(row.tz_off, '-330');
      assert.deepEqual([row.br_width, row.br_height, row.sc_width, row.sc_height], ['1280', '720', '1280', '720']);
      const p = params(row, 'event_params');
      assert.equal(p._site, 'phc_browser');
      assert.equal(p._input, 'posthog');
      assert.equal(p.$lib, 'web');
      assert.match(p._messageId, /^[0-9a-f-]{36}$/);
      for (const key of ['$current_url', '$referrer', 'distinct_id', 'token', '$session_id', 'utm_medium'])
        assert.equal(p[key], undefined, `${key} is a column (or null), not a param`);
    }
    const clicked = kept.filter((r) => r.type === 'Clicked');
    assert.equal(clicked[0].location, `${site.url}/one?utm_source=news`);
    assert.equal(clicked[1].location, `${site.url}/two`);
    for (const row of clicked) {
      const custom = Object.entries(params(row, 'event_params')).filter(
        ([k]) => !k.startsWith('$') && !k.startsWith('_'),
      );
      assert.deepEqual(custom, [
        ['utm_source', 'news'],
        ['color', 'blue'],
        ['n', '3'],
        ['nested.deep.x', '1'],
      ]);
    }
    removeDir(server.root);
  },
);
