import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestServer, removeDir, type TestServer } from '../helpers/server.js';
import { readAllRows, type Row } from '../helpers/files.js';
import { DESKTOP_USER_AGENT, launchChromium, startSite } from '../helpers/browser.js';
import { bundleForBrowser } from '../helpers/bundle.js';

const params = (row: Row): Record<string, string> => Object.fromEntries(new URLSearchParams(row.event_params ?? ''));

test(
  '@plausible-analytics/tracker in Chromium, on a page of another origin: page views, a ' +
    'custom event with props and revenue, engagement; one hashed visitor',
  async () => {
    const server = await startTestServer({ visitorIdSalt: 'test-secret', 'inputs.plausible.domains': 'site.example' });
    const script = await bundleForBrowser(
      `import { init, track } from '@plausible-analytics/tracker'; window.PL = { init, track };`,
    );
    const page = (
      title: string,
      next: string,
    ): string => `<!doctype html><html><head><title>${title}</title><script src="/plausible.js"></script></head>
<body style="height:3000px"><a id="next" href="${next}">next</a>
<script>
  PL.init({ domain: 'site.example', endpoint: '${server.url}/api/event', captureOnLocalhost: true });
  PL.track('Signup', { props: { plan: 'pro', seats: 3 }, revenue: { amount: 12.5, currency: 'EUR' } });
</script></body></html>`;
    const site = await startSite({ '/one': page('One', '/two'), '/two': page('Two', '/one') });
    // The tracker drops automated browsers and sends engagement after the page is left (keepalive).
    const browser = await launchChromium({
      userAgent: DESKTOP_USER_AGENT,
      extraArgs: ['--disable-blink-features=AutomationControlled'],
    });
    try {
      const context = await browser.newContext({ userAgent: DESKTOP_USER_AGENT });
      await context.route(`${site.url}/plausible.js`, (route) =>
        route.fulfill({ contentType: 'text/javascript', body: script }),
      );
      const tab = await context.newPage();
      await tab.goto(`${site.url}/one?x=1`, { referer: 'https://search.example/' });
      await waitFor(server, 2);
      await tab.evaluate('window.scrollTo(0, 3000)');
      await tab.click('#next');
      await waitFor(server, 5);
    } finally {
      await browser.close();
      await site.stop();
      await server.stop();
    }
    const rows = readAllRows(server.root);
    // One engagement event when page one is left; a second one when the browser closes page two may
    // arrive before the collector stops, or not.
    assert.deepEqual(
      rows
        .map((r) => r.type)
        .filter((t) => t !== 'engagement')
        .sort(),
      ['Signup', 'Signup', 'page', 'page'],
    );
    assert.ok([1, 2].includes(rows.filter((r) => r.type === 'engagement').length));
    const views = rows.filter((r) => r.type === 'page');
    assert.deepEqual(
      views.map((r) => r.location),
      [`${site.url}/one?x=1`, `${site.url}/two`],
    );
    assert.deepEqual(
      views.map((r) => r.referer),
      ['https://search.example/', `${site.url}/one?x=1`],
    );
    const signup = params(rows.find((r) => r.type === 'Signup')!);
    assert.equal(signup.plan, 'pro');
    assert.equal(signup.seats, '3');
    assert.equal(signup['$.amount'], '12.5');
    assert.equal(signup['$.currency'], 'EUR');
    assert.equal(signup._input, 'plausible');
    assert.equal(signup._site, 'site.example');
    const engagement = params(rows.find((r) => r.type === 'engagement')!);
    assert.match(engagement.sd, /^\d+$/);
    assert.match(engagement.e, /^\d+$/);
    const visitors = new Set(rows.map((r) => r.visitor_id));
    assert.equal(visitors.size, 1, 'the same visitor on both pages, without a cookie');
    assert.match([...visitors][0]!, /^[0-9a-f]{32}$/);
    for (const row of rows) assert.equal(row['user-agent'], DESKTOP_USER_AGENT);
    removeDir(server.root);
  },
);

test(
  'plausible: the visitor hash depends on site, address and user agent, is shared ' +
    'by instances with one visitorIdSalt, and changes with the day',
  async () => {
    let now = Date.UTC(2026, 11, 3, 10);
    const a = await startTestServer({ visitorIdSalt: 's' }, { now: () => now });
    const b = await startTestServer({ visitorIdSalt: 's' }, { now: () => now });
    const send = (server: TestServer, domain: string, ua: string, ip = '203.0.113.5'): Promise<Response> =>
      fetch(`${server.url}/api/event`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', 'User-Agent': ua, 'X-Forwarded-For': ip },
        body: JSON.stringify({
          n: 'pageview',
          u: `https://${domain}/`,
          d: domain,
          r: null,
          p: '{"legacy":"json string"}',
        }),
      });
    try {
      for (const [server, domain, ua, ip] of [
        [a, 'x.example', 'UA1'],
        [b, 'x.example', 'UA1'],
        [a, 'y.example', 'UA1'],
        [a, 'x.example', 'UA2'],
        [a, 'x.example', 'UA1', '198.51.100.1'],
      ] as const) {
        const res = await send(server, domain, ua, ip);
        assert.equal(res.status, 202);
        assert.equal(await res.text(), 'ok');
      }
      now += 86_400_000;
      assert.equal((await send(a, 'x.example', 'UA1')).status, 202);
    } finally {
      await a.stop();
      await b.stop();
    }
    const ids = [...readAllRows(a.root), ...readAllRows(b.root)].map((r) => r.visitor_id);
    const [first, sameOnB, otherSite, otherUa, otherIp, nextDay] = [ids[0], ids[5], ids[1], ids[2], ids[3], ids[4]];
    assert.equal(first, sameOnB, 'two instances with one salt agree');
    assert.equal(new Set([first, otherSite, otherUa, otherIp, nextDay]).size, 5);
    assert.equal(
      params(readAllRows(a.root)[0]).legacy,
      'json string',
      'props as a JSON string (older plausible-tracker)',
    );
    removeDir(a.root);
    removeDir(b.root);
  },
);

test(
  'plausible: refusals name the input and the field; allow-list 403; ' +
    'fuzz never gives a 5xx nor queues a refused body',
  async () => {
    const server = await startTestServer({ 'inputs.plausible.domains': 'ok.example' });
    const post = (body: string): Promise<Response> =>
      fetch(`${server.url}/api/event`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body });
    try {
      const cases: Array<[string, number, string]> = [
        ['{"d":"ok.example","u":"https://ok.example/"}', 400, 'Bad request: plausible: n (the event name) is required'],
        ['{"n":"pageview","u":"https://ok.example/"}', 400, 'Bad request: plausible: d (the domain) is required'],
        ['{"n":"pageview","d":"ok.example"}', 400, 'Bad request: plausible: u (the page URL) is required'],
        [
          '{"n":"x","d":"ok.example","u":"/","p":"{bad"}',
          400,
          'Bad request: plausible: p (the props) is a string that is not JSON',
        ],
        ['{"n":"x","d":"ok.example","u":"/","p":[1]}', 400, 'Bad request: plausible: p (the props) must be an object'],
        ['{"n":"x","d":"ok.example","u":"/","sd":"deep"}', 400, 'Bad request: plausible: sd must be a number'],
        [
          '{"n":"x","d":"evil.example","u":"/"}',
          403,
          'Forbidden: plausible: "evil.example" is not in inputs.plausible.domains',
        ],
        [
          '{"n":"x","d":"ok.example,evil.example","u":"/"}',
          403,
          'Forbidden: plausible: "evil.example" is not in inputs.plausible.domains',
        ],
        ['nope', 400, 'Bad request: plausible: the body is not valid JSON'],
        // The props' JSON text is held to the api.* bounds like the body: 5 000 levels deep is refused, not a 500.
        [
          JSON.stringify({ n: 'x', d: 'ok.example', u: '/', p: `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}` }),
          413,
          'JSON document past a limit: plausible: p (the props): the document nests deeper than api.maxDepth',
        ],
      ];
      for (const [body, status, message] of cases) {
        const res = await post(body);
        const text = await res.text();
        assert.equal(res.status, status, text);
        assert.ok(text.startsWith(message), `${text} / ${message}`);
      }
      assert.equal(server.collector.context.dispatcher.received, 0);
      const event = fc.record(
        {
          n: fc.oneof(fc.string(), fc.anything()),
          d: fc.oneof(fc.constant('ok.example'), fc.anything()),
          u: fc.oneof(fc.webUrl(), fc.anything()),
          r: fc.anything(),
          p: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), fc.anything()),
          sd: fc.anything(),
          e: fc.anything(),
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(fc.oneof(event, fc.jsonValue()), async (value) => {
          const before = server.collector.context.dispatcher.received;
          const res = await post(JSON.stringify(value) ?? 'null');
          const text = await res.text();
          if (res.status === 202) return;
          assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${text}`);
          assert.match(text, /plausible/);
          assert.equal(server.collector.context.dispatcher.received, before);
        }),
        { numRuns: 300 },
      );
    } finally {
      await server.stop();
      removeDir(server.root);
    }
  },
);

async function waitFor(server: TestServer, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (server.collector.context.dispatcher.received < count) {
    if (Date.now() > deadline)
      throw new Error(`received ${server.collector.context.dispatcher.received} events, expected ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
