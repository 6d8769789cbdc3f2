import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, removeDir, type TestServer } from '../helpers/server.js';
import { publishedFiles } from '../helpers/files.js';
import { launchChromium } from '../helpers/browser.js';
import { LIVE_PAGE_CSP } from '../../src/server/routes/live-page.js';

const TEST_OUTPUT = fileURLToPath(new URL('../../../test-output/', import.meta.url));

/** Markup a visitor could send: if any of it ran, window.__xss would be called. */
const IMG_PAYLOAD = '<img src=x onerror=window.__xss("img")>';
const SCRIPT_PAYLOAD = '<script>window.__xss("script")</script>';

async function hit(server: TestServer, query: string, headers: Record<string, string> = {}): Promise<void> {
  const res = await fetch(`${server.url}/public/p.gif?${query}`, { headers });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
}

/** Page console errors and uncaught exceptions, except the browser's own favicon probe. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** Waits until the element's whole text matches (Playwright polls; no DOM types needed here). */
async function waitForText(page: Page, selector: string, text: string | RegExp): Promise<void> {
  const pattern = typeof text === 'string' ? new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : text;
  await page.locator(selector).filter({ hasText: pattern }).waitFor();
}

async function textOf(page: Page, selector: string): Promise<string> {
  return (await page.textContent(selector)) ?? '';
}

test(
  'the live page shows counters that move, renders hostile events ' + 'as text, and its Flush button publishes a file',
  async () => {
    const server = await startTestServer();
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const errors = watchErrors(page);
      let xssCalls = 0;
      await page.exposeBinding('__xss', () => {
        xssCalls++;
      });

      await page.goto(`${server.url}/internal/?interval=200`);
      await waitForText(page, '#received', '0');
      assert.equal(await page.isVisible('#login'), false);

      // Counters move when events arrive.
      for (let i = 0; i < 5; i++)
        await hit(server, `__wt1ty=page&__wt1vic=visitor${i}&n=${i}`, { Referer: `https://site.example/page-${i}` });
      await waitForText(page, '#received', '5');
      await waitForText(page, '#processors tbody tr td:nth-child(6)', '5');
      assert.equal(await page.locator('#events tbody tr').count(), 5);
      assert.equal(
        await textOf(page, '#events tbody tr:first-child td:nth-child(5)'),
        'https://site.example/page-4',
        'newest first',
      );

      // A hostile event: markup in the params, the page (Referer) and the User-Agent.
      const params = new URLSearchParams({ __wt1ty: 'event', __wt1vic: 'attacker', x: IMG_PAYLOAD, s: SCRIPT_PAYLOAD });
      await hit(server, params.toString(), {
        Referer: `https://site.example/${IMG_PAYLOAD}`,
        'User-Agent': `Mozilla/5.0 ${SCRIPT_PAYLOAD}${IMG_PAYLOAD}`,
      });
      await waitForText(page, '#received', '6');
      const row = page.locator('#events tbody tr').first();
      // Cut cells keep the whole value in their title: read "title or text" as the shown value.
      const shown = async (column: number): Promise<string> => {
        const cell = row.locator(`td:nth-child(${column})`);
        return (await cell.getAttribute('title')) ?? (await cell.textContent()) ?? '';
      };
      assert.equal(await shown(5), `https://site.example/${IMG_PAYLOAD}`);
      assert.equal(await shown(7), `x=${IMG_PAYLOAD}&s=${SCRIPT_PAYLOAD}`);
      assert.equal(await shown(8), `Mozilla/5.0 ${SCRIPT_PAYLOAD}${IMG_PAYLOAD}`);
      assert.match(
        (await row.locator('td:nth-child(8)').textContent()) ?? '',
        /…$/,
        'a long value is cut, with the whole value on hover',
      );
      assert.equal(
        await page.locator('#events img, #events script, #dashboard img').count(),
        0,
        'no element was made from the payloads',
      );
      mkdirSync(TEST_OUTPUT, { recursive: true });
      await page
        .locator('#events tbody tr')
        .first()
        .screenshot({ path: path.join(TEST_OUTPUT, 'live-page-hostile-event.png') });
      await page.waitForTimeout(600); // a few more polls: the rows are rebuilt, nothing may run meanwhile
      assert.equal(xssCalls, 0, 'no payload ran');

      // The Flush button publishes the open file and says so.
      assert.equal(publishedFiles(server.root).length, 0);
      await page.click('#flush');
      await waitForText(page, '#flush-result', /published 1 file/);
      assert.equal(publishedFiles(server.root).length, 1);
      await waitForText(page, '#files', '1');

      // Memory stays flat: with no new events, polling does not add elements to the page.
      const elementCount = (): Promise<number> => page.locator('*').count();
      const before = await elementCount();
      await page.waitForTimeout(1500);
      assert.equal(await elementCount(), before);

      // A little traffic for the chart, then a picture for a person to look at.
      for (let round = 0; round < 6; round++) {
        await Promise.all(
          Array.from({ length: 3 + round * 3 }, (_, i) =>
            hit(server, `__wt1ty=page&__wt1vic=v${round}-${i}&color=blue`, {
              Referer: 'https://shop.example/cart',
              'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36',
            }),
          ),
        );
        await page.waitForTimeout(250);
      }
      await waitForText(page, '#received', '69');
      await page.screenshot({ path: path.join(TEST_OUTPUT, 'live-page.png') });

      assert.equal(xssCalls, 0, 'no payload ran');
      assert.deepEqual(errors, []);
    } finally {
      await browser?.close();
      await server.stop();
      removeDir(server.root);
    }
  },
);

test('with an adminToken the page asks for it once per tab and sends it as a bearer token', async () => {
  const server = await startTestServer({ adminToken: 'tok-3f9a' });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    const authorizations: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/internal/live')) authorizations.push(r.headers().authorization ?? '');
    });

    await page.goto(`${server.url}/internal/live.html?interval=200`);
    await page.waitForSelector('#login', { state: 'visible' });
    assert.equal(await page.isVisible('#dashboard'), false);

    await page.fill('#token', 'wrong');
    await page.press('#token', 'Enter');
    await waitForText(page, '#login-error', /refused/);
    assert.equal(await page.isVisible('#dashboard'), false);

    await page.fill('#token', 'tok-3f9a');
    await page.press('#token', 'Enter');
    await page.waitForSelector('#dashboard', { state: 'visible' });
    await hit(server, '__wt1ty=page&__wt1vic=v1');
    await waitForText(page, '#received', '1');
    assert.ok(authorizations.includes('Bearer tok-3f9a'));

    // Kept for the tab: a reload does not ask again.
    await page.reload();
    await page.waitForSelector('#dashboard', { state: 'visible' });
    assert.equal(await page.isVisible('#login'), false);

    // Another tab has its own session storage: it asks.
    const other = await context.newPage();
    await other.goto(`${server.url}/internal/`);
    await other.waitForSelector('#login', { state: 'visible' });

    // The console shows the 401s of the token check; nothing else may fail.
    assert.deepEqual(
      errors.filter((e) => !/401/.test(e)),
      [],
    );
  } finally {
    await browser?.close();
    await server.stop();
    removeDir(server.root);
  }
});

test('the page files carry a strict CSP; who may load them follows the admin protection', async () => {
  const open = await startTestServer();
  const guarded = await startTestServer({ adminToken: 'tok-77' });
  try {
    const page = await fetch(`${open.url}/internal/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-security-policy'), LIVE_PAGE_CSP);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self';/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const html = await page.text();
    assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]/, 'no inline script');
    assert.match(html, /<script src="live-page.js" defer><\/script>/);
    const script = await fetch(`${open.url}/internal/live-page.js`);
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.doesNotMatch(
      await script.text(),
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write/,
      'the page never parses data as HTML',
    );

    const redirect = await fetch(`${open.url}/internal`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), 'internal/');

    // Without a token: loopback only (a client relayed by a trusted local proxy is not loopback).
    const relayed = await fetch(`${open.url}/internal/`, { headers: { 'X-Forwarded-For': '203.0.113.9' } });
    assert.equal(relayed.status, 403);
    await relayed.text();

    // With a token: the static shell loads for anyone (it must, to ask for the token), the data does not.
    const shell = await fetch(`${guarded.url}/internal/`, { headers: { 'X-Forwarded-For': '203.0.113.9' } });
    assert.equal(shell.status, 200);
    assert.equal(await shell.text(), html, 'the same static file for everyone');
    const data = await fetch(`${guarded.url}/internal/live`);
    assert.equal(data.status, 401);
    await data.text();
    const flush = await fetch(`${guarded.url}/internal/flush`, { method: 'POST' });
    assert.equal(flush.status, 401);
    await flush.text();
  } finally {
    await open.stop();
    await guarded.stop();
    removeDir(open.root);
    removeDir(guarded.root);
  }
});

test('configured handlers show their counters on the page, and their queues among the processors', async () => {
  const server = await startTestServer({
    'handler.live.class': 'com.dataiku.wt1.handlers.CounterHandler',
    'handler.live.params.sum.revenue.filterKey': 'kind',
    'handler.live.params.sum.revenue.filterValue': 'purchase',
    'handler.live.params.sum.revenue.valueKey': 'amount',
  });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors = watchErrors(page);
    await page.goto(`${server.url}/internal/?interval=200`);
    await waitForText(page, '#received', '0');
    await hit(server, '__wt1ty=event&__wt1vic=buyer1&__wt1sic=s1&kind=purchase&amount=12.5');
    await hit(server, '__wt1ty=event&__wt1vic=buyer2&__wt1sic=s2&kind=purchase&amount=30');
    await waitForText(page, '#received', '2');
    await page.locator('#handlers-card').waitFor({ state: 'visible' });
    assert.equal(await textOf(page, '#handlers h3'), 'live');
    const value = (key: string) =>
      page
        .locator('#handlers tr', {
          has: page.locator('td:first-child', { hasText: new RegExp(`^${key.replace(/\./g, '\\.')}$`) }),
        })
        .locator('td:nth-child(2)');
    await value('visitorsCounter').filter({ hasText: /^2$/ }).waitFor();
    await value('sums.revenue.totalValue')
      .filter({ hasText: /^42\.5$/ })
      .waitFor();
    await waitForText(page, '#processors tbody tr:nth-child(2) td:first-child', 'live');
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    await server.stop();
    removeDir(server.root);
  }
});
