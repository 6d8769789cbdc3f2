import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { BrowserContext } from 'playwright-core';
import { DESKTOP_USER_AGENT } from '../helpers/browser.js';
import type { Row } from '../helpers/files.js';
import { waitForReceived } from '../helpers/server.js';
import {
  useSnippetBrowser,
  loader,
  newContext,
  project,
  SESSION_EXPIRATION,
  simplePage,
  withCollectorAndSite,
} from '../helpers/snippet-site.js';
import { encodePairs } from '../../src/event/query-string.js';

// The snippet end to end in real headless Chromium: a visitor on the original sample page, then the
// next page (test/helpers/snippet-site.ts). Single-page apps and privacy signals:
// browser-spa-privacy.test.ts; a site moving from the original snippet: browser-migration.test.ts.

const TWO_YEARS = 2 * 365 * 24 * 3600;
const CHROMIUM_COOKIE_CAP = 400 * 24 * 3600;
const HEX_ID = /^[0-9a-f]{32}$/;
const SEARCH_REFERRER = 'http://search.example/results?q=wt1';

/** The original js/sample.html, plus a link away and a hit sent from the page's own pagehide handler. */
const samplePage = (collector: string): string => `<!doctype html>
<html><head><meta charset="utf-8"><title>sample</title>
<script type="text/javascript">
  var _wt1Q = _wt1Q || [];
  /* Tracking before the _wt1Q tracker is ready */
  _wt1Q.push(["setVisitorParam", "vparam_start", "vparam_start"]);
  _wt1Q.push(["trackPage", { "page": "important", "basket": "empty" }]);
  ${loader(collector)}
  /* Registered before the tracker loads: the hit must still take the beacon path. */
  addEventListener("pagehide", function () { _wt1Q.push(["trackEvent", { "action": "leave" }]); });
</script>
</head><body>
  <input type="submit" id="s1" value="Track event S1" />
  <input type="submit" id="s2" value="Remove session param sp1" />
  <input type="submit" id="s3" value="Add visitor param vp2" />
  <input type="submit" id="s4" value="Clear visitor params" />
  <a id="next" href="/page2.html?from=sample">next page</a>
  <script>
    _wt1Q.push(["setSessionParam", "sp1", "value1"]);
    _wt1Q.push(["setSessionParam", "sp2", "value2"]);
    document.getElementById("s1").onclick = function () {
      _wt1Q.push(["trackEvent", { "type": "button", "id": "s1" }]);
    };
    document.getElementById("s2").onclick = function () { _wt1Q.push(["delSessionParam", "sp1"]); };
    document.getElementById("s3").onclick = function () { _wt1Q.push(["setVisitorParam", "vp2", "vp2val"]); };
    document.getElementById("s4").onclick = function () { _wt1Q.push(["clearVisitorParams"]); };
  </script>
</body></html>`;

const browser = useSnippetBrowser();

test('the original sample page, a long hit and a hit while leaving, cross-origin, land as exact log lines', {
  timeout: 120_000,
}, async () => {
  const startedAt = Date.now();
  const longText = 'Crème brûlée, café au lait & co – '.repeat(60);
  const requests: Array<{ method: string; url: string; type?: string }> = [];
  const warnings: string[] = [];
  const pageErrors: string[] = [];
  let pageUrl = '';
  let siteOrigin = '';
  let cookies: Awaited<ReturnType<BrowserContext['cookies']>> = [];

  const rows = await withCollectorAndSite(
    (collector) => ({
      '/sample.html': samplePage(collector),
      '/page2.html': simplePage(collector, '_wt1Q.push(["trackPage", { "page": "second" }]);'),
    }),
    async (collector, site) => {
      siteOrigin = site.url;
      // What reached the collector, as sent (Playwright does not see requests of a page being left).
      collector.collector.server.on('request', (req: IncomingMessage) => {
        if (req.url?.startsWith('/public/p.gif'))
          requests.push({ method: req.method!, url: req.url, type: req.headers['content-type'] });
      });
      const context = await newContext(browser());
      try {
        const page = await context.newPage();
        page.on('console', (m) => {
          if (m.type() === 'warning') warnings.push(m.text());
        });
        page.on('pageerror', (e) => pageErrors.push(String(e)));

        pageUrl = `${site.url}/sample.html?utm_source=news&q=caf%C3%A9%20au%20lait`;
        await page.goto(`${pageUrl}#top`, { referer: SEARCH_REFERRER });
        await waitForReceived(collector, 1);
        let expected = 1;
        for (const step of ['s1', 's2', 's1', 's3', 's1', 's4', 's1']) {
          await page.click(`#${step}`);
          if (step === 's1') await waitForReceived(collector, ++expected);
        }

        await page.evaluate(`_wt1Q.push(['trackEvent', { kind: 'long', text: ${JSON.stringify(longText)} }])`);
        await waitForReceived(collector, ++expected);

        // Malformed commands: one console warning each, nothing thrown into the page.
        await page.evaluate(
          `_wt1Q.push('trackPage'); _wt1Q.push(['noSuchCommand']); _wt1Q.push(['trackEvent', 'not an object'])`,
        );

        await Promise.all([page.waitForURL(/page2\.html/), page.click('#next')]);
        await waitForReceived(collector, expected + 2);
        cookies = await context.cookies(site.url);
      } finally {
        await context.close();
      }
    },
  );

  assert.deepEqual(pageErrors, []);
  assert.equal(warnings.length, 3, warnings.join('\n'));
  for (const w of warnings) assert.match(w, /^wt1: skipped command/);

  // Six short hits load the GIF; the long hit and the one sent from pagehide are POSTed as text/plain.
  // (The next page's view and the hit sent while leaving race each other.)
  assert.equal(requests.length, 8);
  assert.deepEqual(
    requests.slice(0, 6).map((r) => r.method),
    ['GET', 'GET', 'GET', 'GET', 'GET', 'POST'],
  );
  assert.deepEqual(
    requests
      .slice(6)
      .map((r) => r.method)
      .sort(),
    ['GET', 'POST'],
  );
  assert.deepEqual(
    requests.filter((r) => r.method === 'POST').map((r) => [r.url, r.type]),
    [
      ['/public/p.gif', 'text/plain;charset=UTF-8'],
      ['/public/p.gif', 'text/plain;charset=UTF-8'],
    ],
  );
  assert.ok(requests.every((r) => r.url.length < 1800 + 100));

  assert.equal(rows.length, 8, JSON.stringify(rows, null, 1));
  const visitorId = rows[0].visitor_id!;
  const sessionId = rows[0].session_id!;
  assert.match(visitorId, HEX_ID);
  assert.match(sessionId, HEX_ID);
  assert.notEqual(visitorId, sessionId);

  for (const row of rows) {
    const clientTs = Date.parse(row.client_ts! + 'Z');
    assert.ok(clientTs >= startedAt - 1000 && clientTs <= Date.now() + 1000, `client_ts ${row.client_ts}`);
  }

  const common = {
    client_addr: '127.0.0.1',
    visitor_id: visitorId,
    session_id: sessionId,
    location: pageUrl, // the full URL (path and query, no fragment), not the origin-only Referer header
    referer: SEARCH_REFERRER, // document.referrer (page.goto sets it as given)
    'user-agent': DESKTOP_USER_AGENT,
    br_width: '1280',
    br_height: '720',
    sc_width: '1920',
    sc_height: '1080',
    br_lang: 'fr-FR',
    tz_off: '-330',
  };
  const both = 'vparam_start=vparam_start&vp2=vp2val';
  const click = 'type=button&id=s1';
  const expectedRows: Row[] = [
    {
      ...common,
      type: 'page',
      visitor_params: 'vparam_start=vparam_start',
      session_params: null,
      event_params: 'page=important&basket=empty',
    },
    {
      ...common,
      type: 'event',
      visitor_params: 'vparam_start=vparam_start',
      session_params: 'sp1=value1&sp2=value2',
      event_params: click,
    },
    {
      ...common,
      type: 'event',
      visitor_params: 'vparam_start=vparam_start',
      session_params: 'sp2=value2',
      event_params: click,
    },
    { ...common, type: 'event', visitor_params: both, session_params: 'sp2=value2', event_params: click },
    { ...common, type: 'event', visitor_params: null, session_params: 'sp2=value2', event_params: click },
    {
      ...common,
      type: 'event',
      visitor_params: null,
      session_params: 'sp2=value2',
      event_params: encodePairs([
        ['kind', 'long'],
        ['text', longText],
      ]),
    },
  ];
  const byColumns = (a: Row, b: Row): number => JSON.stringify(a).localeCompare(JSON.stringify(b));
  const leaving = {
    ...common,
    type: 'event',
    visitor_params: null,
    session_params: 'sp2=value2',
    event_params: 'action=leave',
  };
  const secondPage = {
    ...common,
    location: `${siteOrigin}/page2.html?from=sample`,
    referer: pageUrl, // same-origin navigation: the full referrer
    type: 'page',
    visitor_params: null,
    session_params: 'sp2=value2',
    event_params: 'page=second',
  };
  // Rows in the order of the columns of the file.
  const ordered = (r: Row): Row => Object.fromEntries(Object.keys(project(rows[0])).map((k) => [k, r[k] ?? null]));
  assert.deepEqual(rows.slice(0, 6).map(project), expectedRows.map(ordered));
  // The hit sent while leaving and the next page's view race each other: compare as a set.
  assert.deepEqual(rows.slice(6).map(project).sort(byColumns), [leaving, secondPage].map(ordered).sort(byColumns));

  const cookie = (name: string) => cookies.find((c) => c.name === name);
  const now = Date.now() / 1000;
  assert.equal(cookie('__wt1vic')?.value, visitorId);
  assert.equal(cookie('__wt1sic')?.value, sessionId);
  assert.ok(
    Math.abs(cookie('__wt1sic')!.expires - (now + SESSION_EXPIRATION)) < 120,
    'session cookie lifetime = the collector sessionExpiration',
  );
  // The snippet asks for two years; Chromium caps every cookie at 400 days.
  assert.ok(
    Math.abs(cookie('__wt1vic')!.expires - (now + Math.min(TWO_YEARS, CHROMIUM_COOKIE_CAP))) < 120,
    'visitor cookie: two years, capped',
  );
  assert.equal(cookie('__wt1sic')?.sameSite, 'Lax');
  assert.equal(cookie('__wt1vpc'), undefined, 'cleared visitor params: cookie deleted');
  assert.equal(decodeURIComponent(cookie('__wt1spc')!.value), 'sp2=value2');
});
