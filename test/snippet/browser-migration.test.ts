import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitForReceived } from '../helpers/server.js';
import {
  LEGACY_SITE_HOST,
  useSnippetBrowser,
  newContext,
  simplePage,
  withCollectorAndSite,
} from '../helpers/snippet-site.js';

// The snippet in real headless Chromium on a site that used the original WT1 snippet before.

const browser = useSnippetBrowser();

test('a site moving from the original snippet: its domain=<host> cookies are read once, then replaced by ours', {
  timeout: 120_000,
}, async () => {
  let cookiesAfter: Array<{ name: string; value: string; domain: string }> = [];
  const rows = await withCollectorAndSite(
    (collector) => ({
      '/moved.html': simplePage(
        collector,
        `_wt1Q.push(
        ["setVisitorParam", "b", "2"], ["trackEvent", { "step": "1" }],
        ["delVisitorParam", "a"], ["trackEvent", { "step": "2" }],
        ["clearVisitorParams"], ["trackEvent", { "step": "3" }]);`,
      ),
    }),
    async (collector, site) => {
      const context = await newContext(browser());
      try {
        // What WT1's own snippet left: every cookie with domain=document.location.host.
        const expires = Math.floor(Date.now() / 1000) + 300 * 24 * 3600;
        await context.addCookies([
          { name: '__wt1vic', value: 'oldvisitor1', domain: `.${LEGACY_SITE_HOST}`, path: '/', expires },
          { name: '__wt1vpc', value: 'a%3D1', domain: `.${LEGACY_SITE_HOST}`, path: '/', expires },
        ]);
        const page = await context.newPage();
        await page.goto(`http://${LEGACY_SITE_HOST}:${new URL(site.url).port}/moved.html`);
        await waitForReceived(collector, 3);
        cookiesAfter = await context.cookies();
      } finally {
        await context.close();
      }
    },
  );
  assert.deepEqual(
    rows.map((r) => [r.visitor_id, r.visitor_params, r.event_params]),
    [
      ['oldvisitor1', 'a=1&b=2', 'step=1'],
      ['oldvisitor1', 'b=2', 'step=2'],
      ['oldvisitor1', null, 'step=3'],
    ],
  );
  assert.deepEqual(
    cookiesAfter.filter((c) => c.domain.startsWith('.')),
    [],
    'the old domain cookies are gone',
  );
  assert.equal(cookiesAfter.find((c) => c.name === '__wt1vic')?.value, 'oldvisitor1');
});
