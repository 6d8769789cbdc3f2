import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitForReceived } from '../helpers/server.js';
import { useSnippetBrowser, newContext, simplePage, withCollectorAndSite } from '../helpers/snippet-site.js';

// The snippet in real headless Chromium: a single-page app's history changes tracked as page views,
// and Global Privacy Control honoured when the site asks for it.

const browser = useSnippetBrowser();

test('single-page app history tracking, and privacy signals honoured when asked', { timeout: 120_000 }, async () => {
  let siteOrigin = '';
  let privacyHits = 0;
  const rows = await withCollectorAndSite(
    (collector) => ({
      '/spa.html': simplePage(collector, '_wt1Q.push(["enableHistoryTracking"], ["trackPage"]);'),
      '/private.html': simplePage(
        collector,
        '_wt1Q.push(["respectPrivacySignals"], ["trackPage"], ["trackEvent", { "x": "1" }]);',
      ),
      '/control.html': simplePage(collector, '_wt1Q.push(["trackPage", { "control": "1" }]);'),
    }),
    async (collector, site) => {
      siteOrigin = site.url;
      const spa = await newContext(browser());
      try {
        const page = await spa.newPage();
        await page.goto(`${site.url}/spa.html`);
        await waitForReceived(collector, 1);
        await page.evaluate(`history.pushState({}, '', '/spa/orders?page=2')`);
        await waitForReceived(collector, 2);
        await page.goBack();
        await waitForReceived(collector, 3);
      } finally {
        await spa.close();
      }

      const gpc = await newContext(browser());
      try {
        await gpc.addInitScript(
          `Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true })`,
        );
        const page = await gpc.newPage();
        page.on('request', (r) => {
          if (r.url().includes('/public/p.gif')) privacyHits++;
        });
        await page.goto(`${site.url}/private.html`);
        await page.evaluate(`new Promise((resolve) => setTimeout(resolve, 200))`);
        assert.equal(privacyHits, 0, 'no hit with respectPrivacySignals and GPC on');
        // The control page, same browser, no respectPrivacySignals: its hit arrives.
        await page.goto(`${site.url}/control.html`);
        await waitForReceived(collector, 4);
        assert.equal(privacyHits, 1);
      } finally {
        await gpc.close();
      }
    },
  );

  assert.deepEqual(
    rows.map((r) => [r.type, r.location, r.referer, r.event_params]),
    [
      ['page', `${siteOrigin}/spa.html`, '', ''],
      ['page', `${siteOrigin}/spa/orders?page=2`, `${siteOrigin}/spa.html`, ''],
      ['page', `${siteOrigin}/spa.html`, `${siteOrigin}/spa/orders?page=2`, ''],
      ['page', `${siteOrigin}/control.html`, '', 'control=1'],
    ],
  );
  assert.equal(new Set(rows.slice(0, 3).map((r) => r.session_id)).size, 1);
});
