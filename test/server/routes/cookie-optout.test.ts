import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { type TestServer, withServer } from '../../helpers/server.js';
import { CookieJar, setCookiesOf } from '../../helpers/cookies.js';
import { GLOBAL_ID_COOKIE, OPTOUT_COOKIE, OPTOUT_LIFETIME_SECONDS } from '../../../src/server/third-party-cookies.js';
import { callbackLocation } from '../../../src/server/routes/cookie-optout.js';
import { validateConfig } from '../../../src/server/plugins.js';
import { ConfigError } from '../../../src/errors.js';
import type { RawValue } from '../../../src/config/spec.js';

/** GET path with the jar's cookies, recording the answer's cookies in the jar; redirects not followed. */
async function get(
  server: TestServer,
  path: string,
  jar: CookieJar,
  headers: Record<string, string> = {},
): Promise<{ res: Response; text: string }> {
  const cookie = jar.header();
  const res = await fetch(server.url + path, {
    headers: { ...(cookie ? { Cookie: cookie } : {}), ...headers },
    redirect: 'manual',
  });
  jar.apply(res);
  return { res, text: await res.text() };
}

/** Follows a relative redirect the way a browser does (relative to the URL asked). */
function follow(path: string, location: string): string {
  return new URL(location, `http://tracker.example${path}`).pathname;
}

test(
  'a browser walk: status nocookie, a hit sets the id (cookie), ' + 'optout (optedout, id gone), optin (nocookie)',
  async () => {
    await withServer({ thirdPartyCookies: true }, async (server) => {
      const jar = new CookieJar();
      let r = await get(server, '/public/cookie/status', jar);
      assert.equal(r.res.status, 200);
      assert.equal(r.text, 'nocookie\r\n');
      assert.match(r.res.headers.get('content-type') ?? '', /^text\/plain/);
      assert.equal(r.res.headers.get('cache-control'), 'no-store');
      assert.equal(r.res.headers.getSetCookie().length, 0, 'status never creates an id');

      r = await get(server, '/public/p.gif?__wt1vic=walking-visitor', jar);
      assert.ok(jar.get(GLOBAL_ID_COOKIE));
      r = await get(server, '/public/cookie/status', jar);
      assert.equal(r.text, 'cookie\r\n');

      r = await get(server, '/public/cookie/optout', jar);
      assert.equal(r.res.status, 302);
      assert.equal(r.res.headers.get('location'), 'status');
      assert.equal(follow('/public/cookie/optout', 'status'), '/public/cookie/status');
      assert.equal(jar.get(GLOBAL_ID_COOKIE), undefined);
      assert.equal(jar.get(OPTOUT_COOKIE), '1');
      r = await get(server, '/public/cookie/status', jar);
      assert.equal(r.text, 'optedout\r\n');
      // While opted out, hits neither create nor log a global id.
      r = await get(server, '/public/p.gif?__wt1vic=walking-visitor', jar);
      assert.equal(jar.get(GLOBAL_ID_COOKIE), undefined);

      r = await get(server, '/public/cookie/optin', jar);
      assert.equal(r.res.status, 302);
      assert.equal(r.res.headers.get('location'), 'status');
      assert.equal(jar.get(OPTOUT_COOKIE), undefined);
      r = await get(server, '/public/cookie/status', jar);
      assert.equal(r.text, 'nocookie\r\n');
    });
  },
);

test(
  'optout sets __wt1optout=1 for 5 years and expires the id; the ' + '/wt1 prefix keeps the relative redirect on it',
  async () => {
    await withServer({ thirdPartyCookies: true }, async (server) => {
      const res = await fetch(`${server.url}/wt1/public/cookie/optout`, {
        headers: { Cookie: `${GLOBAL_ID_COOKIE}=abc` },
        redirect: 'manual',
      });
      const cookies = setCookiesOf(res);
      assert.equal(cookies.get(OPTOUT_COOKIE)?.value, '1');
      assert.equal(cookies.get(OPTOUT_COOKIE)?.attributes['max-age'], String(OPTOUT_LIFETIME_SECONDS));
      assert.equal(cookies.get(GLOBAL_ID_COOKIE)?.attributes['max-age'], '0');
      assert.equal(follow('/wt1/public/cookie/optout', res.headers.get('location')!), '/wt1/public/cookie/status');
      await res.arrayBuffer();
    });
  },
);

test(
  'DNT: 1 on optout removes both cookies and sets none; P3P ' + 'and the DNT echo are on every cookie answer',
  async () => {
    await withServer({ thirdPartyCookies: true, p3pHeader: 'CP="NOI"' }, async (server) => {
      const jar = new CookieJar();
      const optout = await fetch(`${server.url}/public/cookie/optout`, {
        headers: { DNT: '1', Cookie: `${GLOBAL_ID_COOKIE}=abc; ${OPTOUT_COOKIE}=1` },
        redirect: 'manual',
      });
      assert.deepEqual(
        [...setCookiesOf(optout).values()].map((c) => [c.name, c.attributes['max-age']]),
        [
          [GLOBAL_ID_COOKIE, '0'],
          [OPTOUT_COOKIE, '0'],
        ],
      );
      assert.equal(optout.headers.get('dnt'), '1');
      assert.equal(optout.headers.get('p3p'), 'CP="NOI"');
      await optout.arrayBuffer();
      const status = await get(server, '/public/cookie/status', jar, { 'Sec-GPC': '1' });
      assert.equal(status.text, 'optedout\r\n');
      assert.equal(status.res.headers.get('p3p'), 'CP="NOI"');
    });
  },
);

test('with optoutCallbackUrl, status redirects there with ?status=..., whatever the request says', async () => {
  const callback = 'https://www.site.example/privacy/done';
  await withServer({ thirdPartyCookies: true, optoutCallbackUrl: callback }, async (server) => {
    const jar = new CookieJar();
    const attempts = [
      '/public/cookie/status',
      '/public/cookie/status?status=cookie&url=https://evil.example/&next=//evil.example' +
        '&optoutCallbackUrl=https://evil.example/',
      '/public/cookie/status?redirect=javascript:alert(1)',
      '/wt1/public/cookie/status?returnTo=https%3A%2F%2Fevil.example',
    ];
    for (const path of attempts) {
      const { res } = await get(server, path, jar, {
        Referer: 'https://evil.example/',
        'X-Forwarded-Host': 'evil.example',
        Origin: 'https://evil.example',
      });
      assert.equal(res.status, 302, path);
      assert.equal(res.headers.get('location'), `${callback}?status=nocookie`, path);
    }
    // A forged Host header cannot move it either (raw request: fetch does not let us set Host).
    const location = await new Promise<string | undefined>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: server.port, path: '/public/cookie/status', headers: { Host: 'evil.example' } },
        (res) => {
          res.resume();
          resolve(res.headers.location);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(location, `${callback}?status=nocookie`);

    // optout / optin go to our own status (relative), which then goes to the callback.
    const optout = await get(server, '/public/cookie/optout?next=https://evil.example/', jar, { Host: 'evil.example' });
    assert.equal(optout.res.headers.get('location'), 'status');
    const status = await get(server, '/public/cookie/status', jar);
    assert.equal(status.res.headers.get('location'), `${callback}?status=optedout`);

    // Made-up actions are refused, not redirected.
    for (const path of [
      '/public/cookie/redirect?to=https://evil.example',
      '/public/cookie//evil.example/',
      '/public/cookie/status/https://evil.example',
    ]) {
      const { res } = await get(server, path, jar);
      assert.equal(res.status, 400, path);
      assert.equal(res.headers.get('location'), null, path);
    }
  });
});

test('the status is added to the callback query before any fragment', () => {
  assert.equal(callbackLocation('https://a.example/p', 'cookie'), 'https://a.example/p?status=cookie');
  assert.equal(
    callbackLocation('https://a.example/p?lang=fr', 'optedout'),
    'https://a.example/p?lang=fr&status=optedout',
  );
  assert.equal(
    callbackLocation('https://a.example/p?x=1#top', 'nocookie'),
    'https://a.example/p?x=1&status=nocookie#top',
  );
  assert.equal(callbackLocation('/privacy', 'cookie'), '/privacy?status=cookie');
});

test('optoutCallbackUrl must be an http(s) URL or a path on this host', () => {
  const check = (value: string): string[] => {
    try {
      validateConfig(new Map<string, RawValue>([['optoutCallbackUrl', value]]));
      return [];
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return [...e.problems];
    }
  };
  for (const ok of ['https://www.site.example/privacy', 'http://site.example/p?x=1#y', '/privacy/done'])
    assert.deepEqual(check(ok), [], ok);
  for (const bad of [
    'javascript:alert(1)',
    '//evil.example/x',
    'ftp://site.example/',
    'not a url',
    'privacy',
    'https://site.example/\u00e9',
    '/\\evil.example',
  ]) {
    const problems = check(bad);
    assert.equal(problems.length, 1, bad);
    assert.match(problems[0], /^optoutCallbackUrl: /);
  }
});

test(
  'thirdPartyCookies=false: every cookie endpoint answers 400; ' + 'other methods than GET answer 405 when on',
  async () => {
    await withServer({}, async (server) => {
      for (const path of [
        '/public/cookie/status',
        '/public/cookie/optin',
        '/public/cookie/optout',
        '/public/cookie/other',
      ]) {
        const res = await fetch(server.url + path, { redirect: 'manual' });
        assert.equal(res.status, 400, path);
        assert.equal(res.headers.get('x-wt1-error'), 'WT1_ERR_BAD_REQUEST');
        assert.equal(res.headers.getSetCookie().length, 0);
        await res.arrayBuffer();
      }
    });
    await withServer({ thirdPartyCookies: true }, async (server) => {
      const res = await fetch(`${server.url}/public/cookie/optout`, { method: 'POST' });
      assert.equal(res.status, 405);
      await res.arrayBuffer();
    });
  },
);

test(
  'issue 15 §4: another site cannot fire optin/optout as a subresource ' +
    '(<img>, fetch); a top-level navigation still works',
  async () => {
    await withServer({ thirdPartyCookies: 'true' }, async (server) => {
      for (const action of ['optin', 'optout']) {
        for (const dest of ['image', 'empty', 'script', 'iframe', undefined]) {
          const headers: Record<string, string> = {
            'Sec-Fetch-Site': 'cross-site',
            'Sec-Fetch-Mode': dest === undefined ? 'no-cors' : 'no-cors',
          };
          if (dest !== undefined) headers['Sec-Fetch-Dest'] = dest;
          const res = await fetch(`${server.url}/public/cookie/${action}`, { headers, redirect: 'manual' });
          assert.equal(res.status, 403, `${action} Sec-Fetch-Dest ${dest}`);
          assert.equal(res.headers.get('x-wt1-error'), 'WT1_ERR_FORBIDDEN');
          assert.equal(res.headers.get('set-cookie'), null, 'no cookie changed');
          assert.match(await res.text(), /cross-site .* cannot change the cookie opt-out/);
        }
        const navigation = await fetch(`${server.url}/public/cookie/${action}`, {
          headers: { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Dest': 'document', 'Sec-Fetch-Mode': 'navigate' },
          redirect: 'manual',
        });
        assert.equal(navigation.status, 302, `${action}: a link from the site's privacy page`);
        for (const site of ['same-origin', 'same-site', 'none']) {
          const res = await fetch(`${server.url}/public/cookie/${action}`, {
            headers: { 'Sec-Fetch-Site': site, 'Sec-Fetch-Dest': 'image' },
            redirect: 'manual',
          });
          assert.equal(res.status, 302, `${action} from ${site}`);
        }
        const plain = await fetch(`${server.url}/public/cookie/${action}`, { redirect: 'manual' });
        assert.equal(plain.status, 302, 'clients without Sec-Fetch-* (curl, old browsers) pass');
      }
    });
  },
);
