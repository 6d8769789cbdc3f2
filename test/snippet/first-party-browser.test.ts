import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchChromium, DESKTOP_USER_AGENT } from '../helpers/browser.js';
import { newContext } from '../helpers/snippet-site.js';
import { readAllRows } from '../helpers/files.js';
import { removeDir, startTestServer, waitForReceived } from '../helpers/server.js';

// First-party serving (issue 19, docs/first-party.md) in real headless Chromium: the site's own
// server proxies /stats/* to wt1 (prefix stripped, X-Forwarded-For added, as nginx's proxy_pass
// does); wt1's paths are renamed. The page loads /stats/js/app.js from its own origin, and the
// snippet sends its hits beside it, to /stats/i.gif: the browser never talks to another host.

const VISITOR_ADDRESS = '198.51.100.23';

test('renamed paths behind the site reverse proxy: every hit first-party, the visitor address kept', {
  timeout: 120_000,
}, async () => {
  const collector = await startTestServer({
    'paths.snippet': '/js/app.js',
    'paths.pixel': '/i.gif',
    'paths.events': '/ingest',
  });
  const page = `<!doctype html><html><head><meta charset="utf-8"><title>shop</title>
<script>
  var _wt1Q = _wt1Q || [];
  _wt1Q.push(["trackPage", { "shelf": "books" }]);
  _wt1Q.push(["trackEvent", { "type": "add", "sku": "b-42" }]);
</script>
<script async src="/stats/js/app.js"></script>
</head><body>shop</body></html>`;
  const target = new URL(collector.url);
  // The site: its page, and /stats/* forwarded to wt1 (a stand-in for the nginx block of the doc).
  const site = createServer((req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith('/stats/')) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(page);
      return;
    }
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: url.slice('/stats'.length),
        headers: { ...req.headers, 'x-forwarded-for': VISITOR_ADDRESS },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  site.listen(0, '127.0.0.1');
  await once(site, 'listening');
  const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  const browser = await launchChromium({ userAgent: DESKTOP_USER_AGENT, lang: 'fr-FR' });
  const requested: string[] = [];
  try {
    const context = await newContext(browser);
    const tab = await context.newPage();
    tab.on('request', (r) => requested.push(r.url()));
    await tab.goto(`${siteUrl}/shop.html`);
    await waitForReceived(collector, 2);
    await context.close();
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => {
      site.close(() => resolve());
      site.closeAllConnections();
    });
    await collector.stop();
  }
  assert.ok(
    requested.every((url) => url.startsWith(`${siteUrl}/`)),
    `only the site's origin: ${requested.join(' ')}`,
  );
  const hits = requested.filter((url) => url.includes('/i.gif'));
  assert.equal(hits.length, 2, requested.join(' '));
  for (const hit of hits) assert.ok(hit.startsWith(`${siteUrl}/stats/i.gif?`), hit);
  const rows = readAllRows(collector.root).sort((a, b) => String(a.type).localeCompare(String(b.type)));
  assert.deepEqual(
    rows.map((r) => [r.type, r.client_addr, r.location, r.event_params]),
    [
      ['event', VISITOR_ADDRESS, `${siteUrl}/shop.html`, 'type=add&sku=b-42'],
      ['page', VISITOR_ADDRESS, `${siteUrl}/shop.html`, 'shelf=books'],
    ],
  );
  assert.equal(rows[0].visitor_id, rows[1].visitor_id, 'one visitor');
  assert.equal(rows[0]['user-agent'], DESKTOP_USER_AGENT);
  removeDir(collector.root);
});
