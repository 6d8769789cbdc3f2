import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer } from '../../helpers/server.js';
import { setCookiesOf } from '../../helpers/cookies.js';
import { GLOBAL_ID_COOKIE, OPTOUT_COOKIE } from '../../../src/server/third-party-cookies.js';
import { isSafeCallbackName, MAX_CALLBACK_LENGTH } from '../../../src/server/routes/global-id.js';

test('JSON form: {"id": ...} with a new global id set as a cookie, then the same id back from the cookie', async () => {
  await withServer({ thirdPartyCookies: true }, async (server) => {
    const res = await fetch(`${server.url}/public/globalId`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const body = (await res.json()) as { id: string };
    assert.match(body.id, /^[0-9a-f]{32}$/);
    assert.equal(setCookiesOf(res).get(GLOBAL_ID_COOKIE)?.value, body.id);

    const again = await fetch(`${server.url}/public/globalId`, {
      headers: { Cookie: `${GLOBAL_ID_COOKIE}=${body.id}` },
    });
    assert.deepEqual(await again.json(), { id: body.id });
  });
});

test('JavaScript form: fun=NAME answers NAME("id"); as application/javascript with nosniff', async () => {
  await withServer({ thirdPartyCookies: true }, async (server) => {
    for (const fun of ['cb', 'window.wt1.onGlobalId', '_$x9', '$']) {
      const res = await fetch(`${server.url}/public/globalId?fun=${encodeURIComponent(fun)}`, {
        headers: { Cookie: `${GLOBAL_ID_COOKIE}=abc123` },
      });
      assert.equal(res.status, 200, fun);
      assert.equal(res.headers.get('content-type'), 'application/javascript; charset=utf-8');
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(await res.text(), `/**/${fun}("abc123");`);
    }
  });
});

test('fun that is not a plain identifier or dotted path is refused with 400 and never echoed', async () => {
  const attempts = [
    'alert(1)//',
    '</script>',
    '</script><script>alert(1)</script>',
    'a;alert(1)',
    'cb\nalert(1)',
    'cb ',
    'a..b',
    'a.',
    '.a',
    '1abc',
    'a-b',
    'a[0]',
    'ｃｂ', // full-width letters
    'x\u2028y',
    '',
    'a'.repeat(MAX_CALLBACK_LENGTH + 1),
    `${'a.'.repeat(5000)}a`,
  ];
  await withServer({ thirdPartyCookies: true }, async (server) => {
    for (const fun of attempts) {
      const res = await fetch(`${server.url}/public/globalId?fun=${encodeURIComponent(fun)}`);
      const text = await res.text();
      assert.equal(res.status, 400, JSON.stringify(fun));
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      assert.equal(res.headers.getSetCookie().length, 0, 'a refused request sets no cookie');
      if (fun.length > 3) assert.ok(!text.includes(fun), `the answer echoes ${JSON.stringify(fun)}`);
    }
    // Raw, unencoded characters in the query too.
    const raw = await fetch(`${server.url}/public/globalId?fun=alert(1)//`);
    assert.equal(raw.status, 400);
    await raw.arrayBuffer();
    // Only the first fun is used: a second one is never reached.
    const twice = await fetch(`${server.url}/public/globalId?fun=cb&fun=alert(1)`);
    assert.equal(twice.status, 200);
    assert.ok(!(await twice.text()).includes('alert'));
  });
  assert.equal(isSafeCallbackName('a'.repeat(MAX_CALLBACK_LENGTH)), true);
  assert.equal(isSafeCallbackName('a'.repeat(MAX_CALLBACK_LENGTH + 1)), false);
});

test('opted-out visitors and thirdPartyCookies=false get an empty id (and no cookie when off)', async () => {
  await withServer({ thirdPartyCookies: true }, async (server) => {
    const res = await fetch(`${server.url}/public/globalId?fun=cb`, { headers: { Cookie: `${OPTOUT_COOKIE}=1` } });
    assert.equal(await res.text(), '/**/cb("");');
    const dnt = await fetch(`${server.url}/public/globalId`, { headers: { DNT: '1' } });
    assert.deepEqual(await dnt.json(), { id: '' });
    assert.equal(dnt.headers.get('dnt'), '1');
  });
  await withServer({}, async (server) => {
    const res = await fetch(`${server.url}/public/globalId`);
    assert.deepEqual(await res.json(), { id: '' });
    assert.equal(res.headers.getSetCookie().length, 0);
    const bad = await fetch(`${server.url}/public/globalId?fun=alert(1)//`);
    assert.equal(bad.status, 400);
    await bad.arrayBuffer();
    const post = await fetch(`${server.url}/public/globalId`, { method: 'POST' });
    assert.equal(post.status, 405);
    await post.arrayBuffer();
  });
});
