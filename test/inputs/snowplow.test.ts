import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildPageView,
  buildSelfDescribingEvent,
  buildStructEvent,
  buildEcommerceTransaction,
  buildEcommerceTransactionItem,
  buildPagePing,
  newTracker,
} from '@snowplow/node-tracker';
import { startTestServer, removeDir, type TestServer } from '../helpers/server.js';
import { readAllRows, type Row } from '../helpers/files.js';
import { createRequire } from 'node:module';
import { DESKTOP_USER_AGENT, launchChromium, startSite } from '../helpers/browser.js';
import { bundleForBrowser } from '../helpers/bundle.js';

const trackerVersion = (createRequire(import.meta.url)('@snowplow/browser-tracker/package.json') as { version: string })
  .version;
const params = (row: Row, column: 'event_params' | 'visitor_params' | 'session_params' = 'event_params') =>
  Object.fromEntries(new URLSearchParams(row[column] ?? ''));

test(
  '@snowplow/node-tracker: POST batches with base64 contexts and GET /i with JSON text, ' +
    'every field in a column or a param',
  async () => {
    const server = await startTestServer({ 'inputs.snowplow.appIds': 'node-app' });
    const failures: unknown[] = [];
    const answers: Array<[number, string | null, string | null]> = [];
    const emitter = (eventMethod: 'post' | 'get') => ({
      endpoint: server.url,
      eventMethod,
      bufferSize: eventMethod === 'post' ? 10 : 1,
      retryFailedRequests: false,
      onRequestFailure: (failure: unknown) => failures.push(failure),
      onRequestSuccess: (_: unknown, response: Response) =>
        answers.push([response.status, response.headers.get('content-type'), response.headers.get('cache-control')]),
    });
    try {
      const post = newTracker({ namespace: 'srv', appId: 'node-app' }, emitter('post'));
      post.setDomainUserId('duid-1');
      post.setSessionId('sess-1');
      post.setSessionIndex(3);
      post.setUserId('user-7');
      post.setLang('fr-FR');
      post.setScreenResolution('1920', '1080');
      post.setViewport('1200', '700');
      post.setColorDepth('24');
      post.setTimezone('Europe/Paris');
      post.setUseragent('App/1.0');
      post.setIpAddress('198.51.100.9');
      const user = { schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { tier: 'gold', flags: { beta: true } } };
      post.track(
        buildPageView({
          pageUrl: 'https://site.example/home?x=1',
          pageTitle: 'Home',
          referrer: 'https://search.example/?q=wt1',
        }),
        [user],
        { type: 'ttm', value: Date.UTC(2026, 0, 2, 3, 4, 5, 678) },
      );
      post.track(buildStructEvent({ category: 'video', action: 'play', label: 'intro', property: 'hd', value: 12.5 }));
      post.track(
        buildSelfDescribingEvent({
          event: {
            schema: 'iglu:com.acme/signup/jsonschema/1-0-0',
            data: { plan: 'pro', seats: 3, address: { city: 'Lyon' }, tags: ['a', 'b'] },
          },
        }),
        [user, { schema: 'iglu:com.acme/product/jsonschema/1-0-0', data: { sku: 'A1' } }],
      );
      post.track(buildEcommerceTransaction({ orderId: 'o-1', total: 42.5, currency: 'EUR', tax: 2, city: 'Lyon' }), [
        { schema: 'iglu:com.acme/product/jsonschema/1-0-0', data: { sku: 'A1' } },
        { schema: 'iglu:com.acme/product/jsonschema/2-0-0', data: { sku: 'B2' } },
      ]);
      post.track(buildEcommerceTransactionItem({ orderId: 'o-1', sku: 'A1', price: 20, quantity: 2, name: 'Mug' }));
      post.track(buildPagePing({ pageUrl: 'https://site.example/home?x=1', minYOffset: 10, maxYOffset: 640 }));
      await post.flush();

      // encodeBase64: false sends ue_pr / co as JSON text; eventMethod: 'get' one event per GET /i.
      const get = newTracker({ namespace: 'get', appId: 'node-app', encodeBase64: false }, emitter('get'));
      get.setDomainUserId('duid-2');
      get.track(
        buildSelfDescribingEvent({ event: { schema: 'iglu:com.acme/search/jsonschema/1-0-0', data: { q: 'a b&c' } } }),
        [user],
      );
      await get.flush();
    } finally {
      await server.stop();
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(answers, [
      [200, 'text/plain; charset=utf-8', null],
      [200, 'image/gif', 'no-cache, no-store, must-revalidate'],
    ]);
    const rows = readAllRows(server.root);
    assert.deepEqual(
      rows.map((r) => r.type),
      ['page', 'play', 'signup', 'transaction', 'transaction_item', 'page_ping', 'search'],
    );
    const [page, play, signup, transaction, item, ping, search] = rows;
    assert.equal(page.location, 'https://site.example/home?x=1');
    assert.equal(page.referer, 'https://search.example/?q=wt1');
    assert.equal(page['user-agent'], 'App/1.0');
    assert.equal(page.br_lang, 'fr-FR');
    assert.deepEqual([page.sc_width, page.sc_height, page.br_width, page.br_height], ['1920', '1080', '1200', '700']);
    assert.equal(page.client_ts, '2026-01-02T03:04:05.678', 'the true timestamp');
    assert.equal(page.tz_off, '-60', 'Europe/Paris in January, as getTimezoneOffset()');
    assert.notEqual(page.client_addr, '198.51.100.9', 'an address in the body is not the client address');
    for (const row of rows.slice(0, 6)) {
      assert.equal(row.visitor_id, 'duid-1');
      assert.equal(row.session_id, 'sess-1');
      assert.deepEqual(params(row, 'visitor_params'), { userId: 'user-7' });
      assert.deepEqual(params(row, 'session_params'), { vid: '3' });
    }
    const pageParams = params(page);
    const stm = pageParams.stm;
    const eid = pageParams.eid;
    assert.match(stm, /^\d{13}$/);
    assert.match(eid, /^[0-9a-f-]{36}$/);
    assert.match(pageParams.tv, /^node-/);
    assert.deepEqual(pageParams, {
      tv: pageParams.tv,
      tna: 'srv',
      p: 'srv',
      eid,
      cd: '24',
      tz: 'Europe/Paris',
      stm,
      'user.tier': 'gold',
      'user.flags.beta': 'true',
      title: 'Home',
      _contexts: 'iglu:com.acme/user/jsonschema/1-0-0',
      _input: 'snowplow',
      _site: 'node-app',
    });
    assert.match(play.client_ts!, /^20\d\d-/, 'the device timestamp');
    const playParams = params(play);
    assert.deepEqual(
      [playParams.se_ca, playParams.se_ac, playParams.se_la, playParams.se_pr, playParams.se_va],
      ['video', 'play', 'intro', 'hd', '12.5'],
    );
    const signupParams = params(signup);
    assert.equal(signupParams.plan, 'pro');
    assert.equal(signupParams.seats, '3');
    assert.equal(signupParams['address.city'], 'Lyon');
    assert.equal(signupParams.tags, '["a","b"]');
    assert.equal(signupParams['user.tier'], 'gold');
    assert.equal(signupParams['product.sku'], 'A1');
    assert.equal(signupParams._schema, 'iglu:com.acme/signup/jsonschema/1-0-0');
    assert.equal(signupParams._contexts, 'iglu:com.acme/user/jsonschema/1-0-0,iglu:com.acme/product/jsonschema/1-0-0');
    const trParams = params(transaction);
    assert.deepEqual(
      [trParams.tr_id, trParams.tr_tt, trParams.tr_cu, trParams.tr_tx, trParams.tr_ci],
      ['o-1', '42.5', 'EUR', '2', 'Lyon'],
    );
    assert.deepEqual([trParams['product.0.sku'], trParams['product.1.sku']], ['A1', 'B2']);
    const itemParams = params(item);
    assert.deepEqual(
      [itemParams.ti_id, itemParams.ti_sk, itemParams.ti_pr, itemParams.ti_qu, itemParams.ti_nm],
      ['o-1', 'A1', '20', '2', 'Mug'],
    );
    assert.equal(ping.location, 'https://site.example/home?x=1');
    assert.deepEqual([params(ping).pp_miy, params(ping).pp_may], ['10', '640']);

    assert.equal(search.visitor_id, 'duid-2');
    assert.equal(params(search).q, 'a b&c');
    assert.equal(params(search)['user.flags.beta'], 'true');
    assert.equal(params(search).tna, 'get');
    removeDir(server.root);
  },
);

test(
  '@snowplow/browser-tracker in Chromium, on a page of another site: page views, structured and ' +
    'self-describing events with contexts, POST and GET; one visitor; CORS echoes the Origin with credentials',
  async () => {
    const server = await startTestServer({ 'inputs.snowplow.appIds': 'site-app' });
    const script = await bundleForBrowser(`import * as SP from '@snowplow/browser-tracker'; window.SP = SP;`);
    // Two sites, as in production: the page on www.site.example, the collector on collect.wt1.example.
    const collector = `http://collect.wt1.example:${server.port}`;
    const page = (title: string, next: string): string => `<!doctype html><html><head><title>${title}</title>
<script src="/sp.js"></script></head><body><a id="next" href="${next}">next</a>
<script>
  // The tracker's cookies are Secure by default: an http test page needs cookieSecure: false.
  const cookies = { cookieSecure: false, cookieSameSite: 'Lax' };
  SP.newTracker('sp', '${collector}', { appId: 'site-app', ...cookies });
  SP.newTracker('sg', '${collector}', { appId: 'site-app', eventMethod: 'get', ...cookies });
  SP.setUserId('user-9');
  SP.trackPageView({}, ['sp']);
  SP.trackStructEvent({ category: 'video', action: 'play', label: 'intro', property: 'hd', value: 12.5 }, ['sp']);
  SP.trackSelfDescribingEvent({
    event: {
      schema: 'iglu:com.acme/signup/jsonschema/1-0-0',
      data: { plan: 'pro', seats: 3, address: { city: 'Lyon' } },
    },
    context: [{ schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { tier: 'gold' } }],
  }, ['sp']);
  SP.trackStructEvent({ category: 'file', action: 'download', label: 'a.pdf' }, ['sg']);
</script></body></html>`;
    const site = await startSite({ '/one': page('Page one', '/two'), '/two': page('Page two', '/one') });
    const siteOrigin = site.url.replace('127.0.0.1', 'www.site.example');
    const browser = await launchChromium({
      userAgent: DESKTOP_USER_AGENT,
      loopbackHosts: ['www.site.example', 'collect.wt1.example'],
    });
    const answers: Array<{ method: string; status: number; headers: Record<string, string> }> = [];
    try {
      const context = await browser.newContext({
        userAgent: DESKTOP_USER_AGENT,
        locale: 'de-DE',
        timezoneId: 'Asia/Tokyo',
      });
      await context.route(`${siteOrigin}/sp.js`, (route) =>
        route.fulfill({ contentType: 'text/javascript', body: script }),
      );
      context.on('response', (response) => {
        if (response.url().startsWith(collector))
          answers.push({ method: response.request().method(), status: response.status(), headers: response.headers() });
      });
      const tab = await context.newPage();
      await tab.goto(`${siteOrigin}/one?utm_source=news`, { referer: 'https://search.example/?q=x' });
      await waitForRows(server, 4);
      await tab.click('#next');
      await waitForRows(server, 8);
    } finally {
      await browser.close();
      await site.stop();
      await server.stop();
    }
    const rows = readAllRows(server.root).sort((a, b) => a.client_ts!.localeCompare(b.client_ts!));
    assert.equal(rows.length, 8, 'each event once: no retry after an answer the browser refused');
    assert.deepEqual(rows.map((r) => r.type).sort(), [
      'download',
      'download',
      'page',
      'page',
      'play',
      'play',
      'signup',
      'signup',
    ]);
    const views = rows.filter((r) => r.type === 'page');
    assert.deepEqual(
      views.map((r) => [r.location, r.referer]),
      [
        [`${siteOrigin}/one?utm_source=news`, 'https://search.example/?q=x'],
        [`${siteOrigin}/two`, `${siteOrigin}/one?utm_source=news`],
      ],
    );
    const viewParams = params(views[0]);
    assert.deepEqual(Object.keys(viewParams), [
      ...['eid', 'tv', 'tna', 'p', 'cookie', 'cs', 'cd', 'tz', 'ds', 'stm'],
      ...['web_page.id', 'title', '_contexts', '_input', '_site'],
    ]);
    assert.deepEqual(
      [viewParams.tv, viewParams.tna, viewParams.p, viewParams.cookie, viewParams.cs, viewParams.tz, viewParams.title],
      [`js-${trackerVersion}`, 'sp', 'web', '1', 'UTF-8', 'Asia/Tokyo', 'Page one'],
    );
    assert.match(viewParams.ds, /^\d+x\d+$/);
    assert.match(viewParams.stm, /^\d{13}$/);
    assert.equal(params(views[1]).title, 'Page two');
    const visitors = new Set(rows.map((r) => r.visitor_id));
    assert.equal(visitors.size, 1, 'the duid cookie keeps one visitor across pages and trackers');
    assert.match([...visitors][0]!, /^[0-9a-f-]{36}$/);
    const sessions = new Set(rows.map((r) => r.session_id));
    assert.equal(sessions.size, 1);
    assert.match([...sessions][0]!, /^[0-9a-f-]{36}$/);
    for (const row of rows) {
      assert.equal(row['user-agent'], DESKTOP_USER_AGENT);
      assert.equal(row.br_lang, 'de-DE');
      assert.deepEqual([row.br_width, row.br_height], ['1280', '720']);
      assert.equal(row.tz_off, '-540', 'Asia/Tokyo (no summer time), as getTimezoneOffset()');
      assert.match(row.sc_width!, /^[1-9]\d*$/);
      assert.deepEqual(params(row, 'visitor_params'), { userId: 'user-9' });
      assert.equal(params(row)._site, 'site-app');
      assert.match(params(row)['web_page.id'], /^[0-9a-f-]{36}$/, 'the web_page context of every event');
    }
    const signup = params(rows.find((r) => r.type === 'signup')!);
    assert.deepEqual(
      [signup.plan, signup.seats, signup['address.city'], signup['user.tier'], signup._schema],
      ['pro', '3', 'Lyon', 'gold', 'iglu:com.acme/signup/jsonschema/1-0-0'],
    );
    assert.deepEqual(signup._contexts.split(',').sort(), [
      'iglu:com.acme/user/jsonschema/1-0-0',
      'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0',
    ]);
    const play = params(rows.find((r) => r.type === 'play')!);
    assert.deepEqual(
      [play.se_ca, play.se_ac, play.se_la, play.se_pr, play.se_va],
      ['video', 'play', 'intro', 'hd', '12.5'],
    );
    assert.deepEqual([...new Set(answers.map((a) => `${a.method} ${a.status}`))].sort(), ['GET 200', 'POST 200']);
    for (const answer of answers) {
      assert.equal(answer.headers['access-control-allow-origin'], siteOrigin);
      assert.equal(answer.headers['access-control-allow-credentials'], 'true');
      if (answer.method === 'GET') assert.equal(answer.headers['content-type'], 'image/gif');
    }
    removeDir(server.root);
  },
);

async function waitForRows(server: TestServer, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (server.collector.context.dispatcher.received < count) {
    if (Date.now() > deadline)
      throw new Error(`received ${server.collector.context.dispatcher.received} events, expected ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
