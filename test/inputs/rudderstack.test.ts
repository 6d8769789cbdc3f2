import { test } from 'node:test';
import assert from 'node:assert/strict';
import Analytics from '@rudderstack/rudder-sdk-node';
import { startTestServer, removeDir, waitForReceived } from '../helpers/server.js';
import { readAllRows, type Row } from '../helpers/files.js';
import { DESKTOP_USER_AGENT, launchChromium, startSite } from '../helpers/browser.js';
import { bundleForBrowser } from '../helpers/bundle.js';

const params = (row: Row, column: 'event_params' | 'visitor_params'): Record<string, string> =>
  Object.fromEntries(new URLSearchParams(row[column] ?? ''));

test('@rudderstack/rudder-sdk-node: page, track, identify, group, screen and alias land as one line each', async () => {
  const server = await startTestServer({ 'inputs.segment.writeKeys': 'rs_node' });
  try {
    const client = new Analytics('rs_node', {
      dataPlaneUrl: server.url,
      flushAt: 20,
      flushInterval: 60_000,
      retryCount: 0,
      logLevel: 'error',
    });
    client.page({
      anonymousId: 'anon-1',
      name: 'Home',
      properties: { url: 'https://site.example/home', referrer: 'https://search.example/', color: 'blue' },
    });
    client.track({
      anonymousId: 'anon-1',
      userId: 'user-7',
      event: 'Order Completed',
      properties: { total: 42.5, cart: { items: 3 } },
      context: { page: { url: 'https://site.example/cart' }, locale: 'fr-FR' },
      timestamp: new Date('2026-01-02T03:04:05.678Z'),
    });
    client.identify({ anonymousId: 'anon-1', userId: 'user-7', traits: { email: 'a@b.example' } });
    client.group({ anonymousId: 'anon-1', groupId: 'acme', traits: { seats: 12 } });
    client.screen({ anonymousId: 'anon-1', name: 'Settings', properties: { tab: 'privacy' } });
    client.alias({ userId: 'user-7', previousId: 'anon-1' });
    await client.flush();
  } finally {
    await server.stop();
  }
  const rows = readAllRows(server.root);
  assert.deepEqual(
    rows.map((r) => r.type),
    ['page', 'Order Completed', 'identify', 'group', 'screen', 'alias'],
  );
  const [page, track, identify, group, screen, alias] = rows;
  assert.equal(page.location, 'https://site.example/home');
  assert.equal(page.referer, 'https://search.example/');
  assert.equal(page.visitor_id, 'anon-1');
  assert.equal(params(page, 'event_params').color, 'blue');
  assert.equal(params(page, 'event_params').name, 'Home');
  assert.equal(track.location, 'https://site.example/cart');
  assert.equal(track.br_lang, 'fr-FR');
  assert.equal(track.client_ts, '2026-01-02T03:04:05.678');
  assert.deepEqual(params(track, 'visitor_params'), { userId: 'user-7' });
  assert.equal(params(track, 'event_params').total, '42.5');
  assert.equal(params(track, 'event_params')['cart.items'], '3');
  assert.deepEqual(params(identify, 'visitor_params'), { userId: 'user-7', email: 'a@b.example' });
  assert.equal(params(group, 'event_params').groupId, 'acme');
  assert.equal(params(group, 'event_params')['traits.seats'], '12');
  assert.equal(params(screen, 'event_params').name, 'Settings');
  assert.equal(params(screen, 'event_params').tab, 'privacy');
  assert.equal(alias.visitor_id, 'user-7');
  assert.equal(params(alias, 'event_params').previousId, 'anon-1');
  for (const row of rows) {
    const p = params(row, 'event_params');
    assert.equal(p._input, 'segment', "the SDK posts to /v1/batch: the segment input's path");
    assert.equal(p._site, 'rs_node', 'the write key, from Basic auth');
    assert.ok(p._messageId, 'messageId kept');
    assert.match(row['user-agent'] ?? '', /^analytics-node\/3\./, "no context.userAgent: the request's");
  }
  removeDir(server.root);
});

test(
  '@rudderstack/analytics-js (bundled build) in Chromium on another origin: source config from wt1, ' +
    'XHR and sendBeacon transports, one visitor and session across pages',
  async () => {
    const server = await startTestServer({
      'inputs.segment.writeKeys': 'rs_key',
      'inputs.rudderstack.writeKeys': 'rs_key',
    });
    // The bundled build has its plugins inside: the default build fetches them (XhrQueue, the one
    // that sends events) from cdn.rudderlabs.com even with `plugins: []`.
    const script = await bundleForBrowser(
      `import { RudderAnalytics } from '@rudderstack/analytics-js/bundled'; window.RudderAnalytics = RudderAnalytics;`,
    );
    const page = (title: string, next: string, options: string): string => `<!doctype html><html><head>
<title>${title}</title><script src="/rudderstack.js"></script></head><body><a id="next" href="${next}">next</a>
<script>
  const rudderanalytics = new RudderAnalytics();
  rudderanalytics.load('rs_key', '${server.url}', { configUrl: '${server.url}', ${options} });
  rudderanalytics.page();
  rudderanalytics.track('Clicked', { color: 'blue', n: 3, nested: { deep: { x: 1 } } });
  rudderanalytics.identify('user-9', { email: 'v@site.example' });
</script></body></html>`;
    const site = await startSite({
      '/one': page('Page one', '/two', ''),
      '/two': page('Page two', '/one', 'useBeacon: true, beaconQueueOptions: { flushQueueInterval: 200 }'),
    });
    const browser = await launchChromium({ userAgent: DESKTOP_USER_AGENT, lang: 'de-DE' });
    const paths: string[] = [];
    try {
      const context = await browser.newContext({ userAgent: DESKTOP_USER_AGENT, locale: 'de-DE' });
      await context.route(`${site.url}/rudderstack.js`, (route) =>
        route.fulfill({ contentType: 'text/javascript', body: script }),
      );
      context.on('request', (request) => {
        const url = new URL(request.url());
        if (url.origin !== site.url)
          paths.push(`${request.method()} ${url.origin === server.url ? '' : url.origin}${url.pathname}`);
      });
      const tab = await context.newPage();
      await tab.goto(`${site.url}/one?utm_source=news`, { referer: 'https://search.example/?q=x' });
      await waitForReceived(server, 3, 20_000);
      await tab.click('#next');
      await waitForReceived(server, 6, 20_000);
    } finally {
      await browser.close();
      await site.stop();
      await server.stop();
    }
    // Nothing asked of any other host (no CDN): the config, then XHR on page one, a beacon on page two.
    assert.deepEqual([...new Set(paths)].sort(), [
      'GET /sourceConfig/',
      'POST /beacon/v1/batch',
      'POST /v1/identify',
      'POST /v1/page',
      'POST /v1/track',
    ]);
    const rows = readAllRows(server.root).sort((a, b) => a.client_ts!.localeCompare(b.client_ts!));
    assert.deepEqual(
      rows.map((r) => r.type),
      ['page', 'Clicked', 'identify', 'page', 'Clicked', 'identify'],
    );
    assert.deepEqual(
      rows.map((r) => params(r, 'event_params')._input),
      ['segment', 'segment', 'segment', 'rudderstack', 'rudderstack', 'rudderstack'],
    );
    const [view1, clicked, identify, view2] = rows;
    assert.equal(view1.location, `${site.url}/one?utm_source=news`);
    assert.equal(view1.referer, 'https://search.example/?q=x');
    assert.equal(view2.location, `${site.url}/two`);
    assert.equal(view2.referer, `${site.url}/one?utm_source=news`);
    assert.equal(params(view1, 'event_params').title, 'Page one');
    assert.equal(params(view1, 'event_params')['campaign.source'], 'news');
    assert.equal(new Set(rows.map((r) => r.visitor_id)).size, 1, 'one anonymousId across pages');
    assert.match(view1.visitor_id!, /^[0-9a-f-]{36}$/);
    assert.equal(new Set(rows.map((r) => r.session_id)).size, 1, 'one session across pages');
    assert.match(view1.session_id!, /^\d{13}$/);
    for (const row of rows) {
      assert.equal(row['user-agent'], DESKTOP_USER_AGENT);
      assert.equal(row.br_lang, 'de-DE');
      assert.deepEqual([row.br_width, row.br_height, row.sc_width, row.sc_height], ['1280', '720', '1280', '720']);
      assert.equal(params(row, 'event_params')._site, 'rs_key');
    }
    const custom = Object.entries(params(clicked, 'event_params')).filter(
      ([k]) => !k.startsWith('_') && !k.startsWith('campaign.'),
    );
    assert.deepEqual(custom, [
      ['color', 'blue'],
      ['n', '3'],
      ['nested.deep.x', '1'],
    ]);
    assert.deepEqual(params(identify, 'visitor_params'), { userId: 'user-9', email: 'v@site.example' });
    removeDir(server.root);
  },
);
