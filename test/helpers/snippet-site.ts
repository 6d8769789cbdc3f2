import { after, before } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { DESKTOP_USER_AGENT, launchChromium, startSite, type Site } from './browser.js';
import { readAllRows, type Row } from './files.js';
import { removeDir, startTestServer, type TestServer } from './server.js';

// The snippet's browser tests (test/snippet/browser*.test.ts): a site page on one loopback origin
// loads /track.js from the collector on another port (cross-origin, as in production); the test then
// stops the collector and checks the lines of its log files.

/** The collector's sessionExpiration in these tests (seconds). */
export const SESSION_EXPIRATION = 900;
/** A site with a real host name, for the cookies the original snippet set on its domain. */
export const LEGACY_SITE_HOST = 'www.site.test';

/**
 * Headless Chromium as a French desktop visitor, resolving LEGACY_SITE_HOST to loopback: launched
 * before the tests of the calling file, closed after them. Returns the browser of the running test.
 */
export function useSnippetBrowser(): () => Browser {
  let browser: Browser | undefined;
  before(async () => {
    browser = await launchChromium({ userAgent: DESKTOP_USER_AGENT, lang: 'fr-FR', loopbackHosts: [LEGACY_SITE_HOST] });
  });
  after(async () => {
    await browser?.close();
  });
  return () => browser!;
}

/** The async loader of the original sample page, pointed at the collector. */
export const loader = (collector: string): string => `
  (function () {
    var script = document.createElement('script');
    script.src = ${JSON.stringify(collector + '/track.js')};
    script.type = 'text/javascript';
    script.async = true;
    var first = document.getElementsByTagName('script')[0];
    first.parentNode.insertBefore(script, first);
  })();`;

/** A page that runs `commands` (pushes to _wt1Q) and loads the snippet. */
export const simplePage = (collector: string, commands: string): string => `<!doctype html>
<html><head><meta charset="utf-8"><title>page</title>
<script>
  var _wt1Q = _wt1Q || [];
  ${commands}
  ${loader(collector)}
</script>
</head><body><p>content</p></body></html>`;

/** A fresh browser context: desktop viewport and screen, fr-FR, a fixed time zone. */
export const newContext = (browser: Browser): Promise<BrowserContext> =>
  browser.newContext({
    userAgent: DESKTOP_USER_AGENT,
    locale: 'fr-FR',
    timezoneId: 'Asia/Kolkata', // UTC+5:30 all year: getTimezoneOffset() is -330 whatever the date
    viewport: { width: 1280, height: 720 },
    screen: { width: 1920, height: 1080 },
  });

/** Runs `body` against a fresh collector and site, stops both (even on failure), returns the log rows. */
export async function withCollectorAndSite(
  pages: (collector: string) => Record<string, string>,
  body: (collector: TestServer, site: Site) => Promise<void>,
): Promise<Row[]> {
  const collector = await startTestServer({ sessionExpiration: SESSION_EXPIRATION });
  let site: Site | undefined;
  try {
    site = await startSite(pages(collector.url));
    await body(collector, site);
  } finally {
    await site?.stop();
    await collector.stop();
  }
  const rows = readAllRows(collector.root);
  removeDir(collector.root);
  return rows;
}

/** The columns the snippet determines (the server and client timestamps are checked apart). */
export const project = (row: Row): Row => {
  const { server_ts: _s, client_ts: _c, ...rest } = row;
  return rest;
};
