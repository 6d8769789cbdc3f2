import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Analytics } from '@segment/analytics-node';
import { startTestServer, removeDir } from '../helpers/server.js';
import { readAllRows, type Row } from '../helpers/files.js';
import { DESKTOP_USER_AGENT, launchChromium, startSite } from '../helpers/browser.js';
import { bundleForBrowser } from '../helpers/bundle.js';

const params = (row: Row, column: 'event_params' | 'visitor_params'): Record<string, string> =>
  Object.fromEntries(new URLSearchParams(row[column] ?? ''));

test('@segment/analytics-node: page, track, identify, group and alias land as one line each', async () => {
  const server = await startTestServer();
  try {
    const analytics = new Analytics({ writeKey: 'node-key', host: server.url, flushAt: 20, maxRetries: 0 });
    analytics.page({
      anonymousId: 'anon-1',
      name: 'Home',
      category: 'Docs',
      properties: { url: 'https://site.example/home?x=1', referrer: 'https://search.example/?q=wt1', color: 'blue' },
      context: { userAgent: 'App/1.0', locale: 'fr-FR', screen: { width: 1920, height: 1080 } },
    });
    analytics.track({
      anonymousId: 'anon-1',
      userId: 'user-7',
      event: 'Order Completed',
      properties: { total: 42.5, paid: true, cart: { items: 3, coupon: 'SPRING' }, tags: ['a', 'b'] },
      context: { page: { url: 'https://site.example/cart' } },
      timestamp: new Date('2026-01-02T03:04:05.678Z'),
    });
    analytics.identify({ anonymousId: 'anon-1', userId: 'user-7', traits: { email: 'a@b.example', plan: 'pro' } });
    analytics.group({ anonymousId: 'anon-1', userId: 'user-7', groupId: 'acme', traits: { seats: 12 } });
    analytics.alias({ userId: 'user-7', previousId: 'anon-1' });
    await analytics.closeAndFlush({ timeout: 10_000 });
  } finally {
    await server.stop();
  }
  const rows = readAllRows(server.root);
  assert.deepEqual(
    rows.map((r) => r.type),
    ['page', 'Order Completed', 'identify', 'group', 'alias'],
  );
  const [page, track, identify, group, alias] = rows;
  assert.equal(page.location, 'https://site.example/home?x=1');
  assert.equal(page.referer, 'https://search.example/?q=wt1');
  assert.equal(page['user-agent'], 'App/1.0');
  assert.equal(page.br_lang, 'fr-FR');
  assert.deepEqual([page.sc_width, page.sc_height], ['1920', '1080']);
  assert.equal(page.visitor_id, 'anon-1');
  const pageParams = params(page, 'event_params');
  assert.equal(pageParams.color, 'blue');
  assert.equal(pageParams.name, 'Home');
  assert.equal(pageParams.category, 'Docs');
  assert.equal(pageParams._input, 'segment');
  assert.equal(pageParams._site, 'node-key');
  assert.match(pageParams._messageId, /^node-next-/);

  assert.equal(track.location, 'https://site.example/cart');
  assert.equal(track.client_ts, '2026-01-02T03:04:05.678');
  assert.equal(track.visitor_id, 'anon-1');
  assert.equal(track['user-agent'], 'analytics-node-next/latest', "no context.userAgent: the request's");
  assert.deepEqual(params(track, 'visitor_params'), { userId: 'user-7' });
  const trackParams = params(track, 'event_params');
  assert.equal(trackParams.total, '42.5');
  assert.equal(trackParams.paid, 'true');
  assert.equal(trackParams['cart.items'], '3');
  assert.equal(trackParams['cart.coupon'], 'SPRING');
  assert.equal(trackParams.tags, '["a","b"]');

  assert.deepEqual(params(identify, 'visitor_params'), { userId: 'user-7', email: 'a@b.example', plan: 'pro' });
  assert.equal(params(group, 'event_params').groupId, 'acme');
  assert.equal(params(group, 'event_params')['traits.seats'], '12');
  assert.equal(alias.visitor_id, 'user-7', 'no anonymousId: the userId');
  assert.equal(params(alias, 'event_params').previousId, 'anon-1');
  for (const row of rows) assert.equal(row.session_id, '');
  removeDir(server.root);
});

test(
  '@segment/analytics-next in Chromium, on a page of another origin: ' +
    'page views and events, one visitor across pages',
  async () => {
    const server = await startTestServer();
    const script = await bundleForBrowser(
      `import { AnalyticsBrowser } from '@segment/analytics-next'; window.AnalyticsBrowser = AnalyticsBrowser;`,
    );
    const apiHost = `${server.url.replace('http://', '')}/v1`;
    const page = (
      title: string,
      next: string,
    ): string => `<!doctype html><html><head><title>${title}</title><script src="/segment.js"></script></head><body>
<a id="next" href="${next}">next</a>
<script>
  const analytics = AnalyticsBrowser.load({
    writeKey: 'browser-key',
    cdnSettings: { integrations: { 'Segment.io': { apiKey: 'browser-key', apiHost: '${apiHost}', protocol: 'http' } } },
  });
  analytics.page();
  analytics.track('Clicked', { color: 'blue', n: 3, nested: { deep: { x: 1 } } });
  analytics.identify('user-9', { email: 'v@site.example' });
</script></body></html>`;
    const site = await startSite({ '/one': page('Page one', '/two'), '/two': page('Page two', '/one') });
    const browser = await launchChromium({ userAgent: DESKTOP_USER_AGENT });
    try {
      const context = await browser.newContext({ userAgent: DESKTOP_USER_AGENT, locale: 'de-DE' });
      const tab = await context.newPage();
      await context.route(`${site.url}/segment.js`, (route) =>
        route.fulfill({ contentType: 'text/javascript', body: script }),
      );
      await tab.goto(`${site.url}/one?utm_source=news`, { referer: 'https://search.example/?q=x' });
      await waitForRows(server, 3);
      await tab.click('#next');
      await waitForRows(server, 6);
    } finally {
      await browser.close();
      await site.stop();
      await server.stop();
    }
    const rows = readAllRows(server.root).sort((a, b) => a.client_ts!.localeCompare(b.client_ts!));
    assert.equal(rows.length, 6);
    assert.deepEqual(rows.map((r) => r.type).sort(), ['Clicked', 'Clicked', 'identify', 'identify', 'page', 'page']);
    const views = rows.filter((r) => r.type === 'page');
    assert.equal(views[0].location, `${site.url}/one?utm_source=news`);
    assert.equal(views[0].referer, 'https://search.example/?q=x');
    assert.equal(views[1].location, `${site.url}/two`);
    assert.equal(views[1].referer, `${site.url}/one?utm_source=news`);
    assert.equal(params(views[0], 'event_params').title, 'Page one');
    assert.equal(params(views[0], 'event_params')['campaign.source'], 'news');
    const visitors = new Set(rows.map((r) => r.visitor_id));
    assert.equal(visitors.size, 1, 'the anonymousId stays the same across pages');
    assert.match([...visitors][0]!, /^[0-9a-f-]{36}$/);
    for (const row of rows) {
      assert.equal(row['user-agent'], DESKTOP_USER_AGENT);
      assert.equal(row.br_lang, 'de-DE');
      assert.equal(params(row, 'event_params')._site, 'browser-key');
    }
    const clicked = rows.find((r) => r.type === 'Clicked')!;
    assert.deepEqual(
      Object.entries(params(clicked, 'event_params')).filter(([k]) => !k.startsWith('_') && !k.startsWith('campaign.')),
      [
        ['color', 'blue'],
        ['n', '3'],
        ['nested.deep.x', '1'],
      ],
    );
    const identify = rows.find((r) => r.type === 'identify')!;
    assert.deepEqual(params(identify, 'visitor_params'), { userId: 'user-9', email: 'v@site.example' });
    removeDir(server.root);
  },
);

async function waitForRows(server: Awaited<ReturnType<typeof startTestServer>>, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (server.collector.context.dispatcher.received < count) {
    if (Date.now() > deadline)
      throw new Error(`received ${server.collector.context.dispatcher.received} events, expected ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
