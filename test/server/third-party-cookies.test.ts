import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  firstPartyVisitorId,
  GLOBAL_ID_COOKIE,
  GLOBAL_ID_LIFETIME_SECONDS,
  globalIdFromSeed,
  OPTOUT_COOKIE,
  OPTOUT_LIFETIME_SECONDS,
  randomGlobalId,
  readThirdPartyCookies,
} from '../../src/server/third-party-cookies.js';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { readAllRows, type Row } from '../helpers/files.js';
import { setCookiesOf } from '../helpers/cookies.js';
import type { RawValue } from '../../src/config/spec.js';

/**
 * Known values of Java's `UUID.nameUUIDFromBytes(s.getBytes(StandardCharsets.UTF_8))`, printed with
 * `String.format("%016x%016x", u.getMostSignificantBits(), u.getLeastSignificantBits())`, computed
 * on 2026-11-27 with OpenJDK 17.0.15 (`javac Ids.java && java Ids`) from this program:
 *
 *   import java.nio.charset.StandardCharsets; import java.util.UUID;
 *   public class Ids { public static void main(String[] a) {
 *     String[] in = { "12345678", "visitor1", "Z0123456789abcdef0123456789abcdef",
 *       "3f2a9c1e-7b4d-4e8a-9f10-2c6b5d4e3a21", "été-visiteur-🙂", "abcdefgh".repeat(16) };
 *     for (String s : in) { UUID u = UUID.nameUUIDFromBytes(s.getBytes(StandardCharsets.UTF_8));
 * System.out.println(s + "\t" + String.format("%016x%016x", u.getMostSignificantBits(), u.getLeastSignificantBits()));
 * } } }
 */
const JAVA_NAME_UUIDS: ReadonlyArray<readonly [string, string]> = [
  ['12345678', '25d55ad283aa300ab464c76d713c07ad'],
  ['visitor1', '6b6bd8b6963e3a258bf6d4760390fddc'],
  ['Z0123456789abcdef0123456789abcdef', '242fdecf69f830e5ac3921a26adc9bb2'],
  ['3f2a9c1e-7b4d-4e8a-9f10-2c6b5d4e3a21', '1dbfb807b42d3b609a798bc3ac7a0184'],
  ['été-visiteur-🙂', '4974b2d0b6d3365baaa8e18f349c4dbf'],
  ['abcdefgh'.repeat(16), '8cb487e6919831649ff5d224e9afbec4'],
];

const T0 = Date.UTC(2026, 10, 27, 6, 0, 0);

test("the global id derived from a visitor id is Java's name-based UUID (MD5, version 3) as 32 hex digits", () => {
  for (const [seed, expected] of JAVA_NAME_UUIDS) assert.equal(globalIdFromSeed(seed), expected, seed);
});

test('a random global id has the same form: 32 lower-case hex digits, different each time', () => {
  const a = randomGlobalId();
  const b = randomGlobalId();
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.notEqual(a, b);
});

test('the cookie reader keeps well-formed ids only, first occurrence, quotes stripped', () => {
  assert.deepEqual(readThirdPartyCookies('a=1; __wt1tpvic=abc123; __wt1optout=1'), {
    globalId: 'abc123',
    hadGlobalId: true,
    optout: '1',
  });
  assert.deepEqual(readThirdPartyCookies('__wt1tpvic="abc"; __wt1tpvic=def'), {
    globalId: 'abc',
    hadGlobalId: true,
    optout: undefined,
  });
  assert.equal(readThirdPartyCookies('__wt1tpvic=0').globalId, undefined);
  assert.equal(readThirdPartyCookies('__wt1tpvic=0').hadGlobalId, true);
  assert.equal(readThirdPartyCookies('__wt1tpvic=a"b').globalId, undefined);
  assert.equal(readThirdPartyCookies('__wt1tpvic=</script>').globalId, undefined);
  assert.equal(readThirdPartyCookies(`__wt1tpvic=${'a'.repeat(65)}`).globalId, undefined);
  assert.equal(readThirdPartyCookies('x__wt1tpvic=abc').globalId, undefined);
  assert.deepEqual(readThirdPartyCookies(undefined), { globalId: undefined, hadGlobalId: false, optout: undefined });
});

test('the first-party visitor id is found in the query, then in the form body, only as a whole key', () => {
  assert.equal(firstPartyVisitorId(['a=1&__wt1vic=visitor%201&b=2']), 'visitor 1');
  assert.equal(firstPartyVisitorId(['__wt1vic=first&__wt1vic=second']), 'first');
  assert.equal(firstPartyVisitorId(['x__wt1vic=no&y=1', '__wt1ty=page&__wt1vic=fromBody']), 'fromBody');
  assert.equal(firstPartyVisitorId(['a=1', '']), undefined);
  assert.equal(firstPartyVisitorId(['__wt1vic=']), undefined);
});

async function withServer(keys: Record<string, RawValue>, run: (server: TestServer) => Promise<void>): Promise<Row[]> {
  const server = await startTestServer({ thirdPartyCookies: true, ...keys }, { now: () => T0 });
  try {
    await run(server);
  } finally {
    await server.stop();
  }
  const rows = readAllRows(server.root);
  removeDir(server.root);
  return rows;
}

function pixel(server: TestServer, query: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/public/p.gif?__wt1ty=page&${query}`, { headers });
}

test(
  'first hit: __wt1tpvic is derived from the visitor id, lasts ' + '2 years, and lands in global_visitor_id',
  async () => {
    const derived = globalIdFromSeed('visitor-0001');
    const rows = await withServer({}, async (server) => {
      const res = await pixel(server, '__wt1vic=visitor-0001&__wt1sic=s1');
      assert.equal(res.status, 200);
      const cookies = setCookiesOf(res);
      assert.deepEqual([...cookies.keys()], [GLOBAL_ID_COOKIE]);
      const c = cookies.get(GLOBAL_ID_COOKIE)!;
      assert.equal(c.value, derived);
      assert.equal(c.attributes['max-age'], String(GLOBAL_ID_LIFETIME_SECONDS));
      assert.equal(c.attributes.expires, new Date(T0 + GLOBAL_ID_LIFETIME_SECONDS * 1000).toUTCString());
      assert.equal(c.attributes.path, '/');
      assert.ok('httponly' in c.attributes);
      assert.ok(!('secure' in c.attributes), 'plain http: no Secure');
      assert.equal(res.headers.get('dnt'), null);
      assert.equal(res.headers.get('p3p'), null);
      await res.arrayBuffer();
    });
    assert.equal(rows.length, 1);
    assert.equal(rows[0].global_visitor_id, derived);
  },
);

test(
  'simultaneous first hits of one visitor agree on the global id; ' +
    'hits without a usable visitor id get random ones',
  async () => {
    const rows = await withServer({}, async (server) => {
      const same = await Promise.all([1, 2, 3].map(() => pixel(server, '__wt1vic=visitor-0002')));
      const ids = same.map((r) => setCookiesOf(r).get(GLOBAL_ID_COOKIE)!.value);
      assert.deepEqual(ids, [
        globalIdFromSeed('visitor-0002'),
        globalIdFromSeed('visitor-0002'),
        globalIdFromSeed('visitor-0002'),
      ]);
      const shortSeed = await pixel(server, '__wt1vic=1234567'); // 7 characters: not enough entropy
      const none1 = await pixel(server, '');
      const none2 = await pixel(server, '');
      const randoms = [shortSeed, none1, none2].map((r) => setCookiesOf(r).get(GLOBAL_ID_COOKIE)!.value);
      for (const id of randoms) assert.match(id, /^[0-9a-f]{32}$/);
      assert.notEqual(randoms[0], globalIdFromSeed('1234567'));
      assert.equal(new Set(randoms).size, 3);
      for (const r of [...same, shortSeed, none1, none2]) await r.arrayBuffer();
    });
    assert.equal(rows.length, 6);
    assert.deepEqual(
      rows.slice(0, 3).map((r) => r.global_visitor_id),
      Array(3).fill(globalIdFromSeed('visitor-0002')),
    );
  },
);

test('a POSTed hit seeds the global id from the visitor id in its form body', async () => {
  await withServer({}, async (server) => {
    const res = await fetch(`${server.url}/public/p.gif`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '__wt1ty=page&__wt1vic=posted-visitor',
    });
    assert.equal(setCookiesOf(res).get(GLOBAL_ID_COOKIE)?.value, globalIdFromSeed('posted-visitor'));
    await res.arrayBuffer();
  });
});

test('refresh: an existing global id is kept (not re-derived) and its cookie re-set for 2 more years', async () => {
  const rows = await withServer({}, async (server) => {
    const res = await pixel(server, '__wt1vic=visitor-0003', { Cookie: `${GLOBAL_ID_COOKIE}=existing-id-42` });
    const c = setCookiesOf(res).get(GLOBAL_ID_COOKIE)!;
    assert.equal(c.value, 'existing-id-42');
    assert.equal(c.attributes['max-age'], String(GLOBAL_ID_LIFETIME_SECONDS));
    await res.arrayBuffer();
    // "0" (what an expiry writes) and forged values count as no cookie: a new id replaces them.
    for (const bad of ['0', '"a b"', 'x<script>', 'a'.repeat(100)]) {
      const r = await pixel(server, '__wt1vic=visitor-0003', { Cookie: `${GLOBAL_ID_COOKIE}=${bad}` });
      assert.equal(setCookiesOf(r).get(GLOBAL_ID_COOKIE)?.value, globalIdFromSeed('visitor-0003'), bad);
      await r.arrayBuffer();
    }
  });
  assert.equal(rows[0].global_visitor_id, 'existing-id-42');
  assert.ok(rows.slice(1).every((r) => r.global_visitor_id === globalIdFromSeed('visitor-0003')));
});

test(
  'opted out: the opt-out cookie is refreshed for 5 years, any ' + 'global id cookie expired, and the id is empty',
  async () => {
    const rows = await withServer({}, async (server) => {
      const res = await pixel(server, '__wt1vic=visitor-0004', {
        Cookie: `${OPTOUT_COOKIE}=1; ${GLOBAL_ID_COOKIE}=leftover`,
      });
      const cookies = setCookiesOf(res);
      assert.equal(cookies.get(OPTOUT_COOKIE)?.value, '1');
      assert.equal(cookies.get(OPTOUT_COOKIE)?.attributes['max-age'], String(OPTOUT_LIFETIME_SECONDS));
      assert.equal(cookies.get(GLOBAL_ID_COOKIE)?.attributes['max-age'], '0');
      assert.equal(cookies.get(GLOBAL_ID_COOKIE)?.attributes.expires, new Date(0).toUTCString());
      await res.arrayBuffer();
      const alone = await pixel(server, '__wt1vic=visitor-0004', { Cookie: `${OPTOUT_COOKIE}=1` });
      assert.deepEqual([...setCookiesOf(alone).keys()], [OPTOUT_COOKIE]);
      await alone.arrayBuffer();
    });
    assert.deepEqual(
      rows.map((r) => r.global_visitor_id),
      ['', ''],
    );
  },
);

test(
  'DNT: 1 is echoed, removes both third-party cookies and counts ' + 'as opted out; DNT: 0 is echoed and tracks',
  async () => {
    const rows = await withServer({}, async (server) => {
      const res = await pixel(server, '__wt1vic=visitor-0005', {
        DNT: '1',
        Cookie: `${GLOBAL_ID_COOKIE}=abc; ${OPTOUT_COOKIE}=1`,
      });
      assert.equal(res.headers.get('dnt'), '1');
      const cookies = setCookiesOf(res);
      assert.equal(cookies.get(GLOBAL_ID_COOKIE)?.attributes['max-age'], '0');
      assert.equal(cookies.get(OPTOUT_COOKIE)?.attributes['max-age'], '0');
      await res.arrayBuffer();
      const fresh = await pixel(server, '__wt1vic=visitor-0005', { DNT: '1' });
      assert.equal(fresh.headers.getSetCookie().length, 0, 'DNT without cookies sets none');
      await fresh.arrayBuffer();
      const zero = await pixel(server, '__wt1vic=visitor-0005', { DNT: '0' });
      assert.equal(zero.headers.get('dnt'), '0');
      assert.equal(setCookiesOf(zero).get(GLOBAL_ID_COOKIE)?.value, globalIdFromSeed('visitor-0005'));
      await zero.arrayBuffer();
    });
    assert.deepEqual(
      rows.map((r) => r.global_visitor_id),
      ['', '', globalIdFromSeed('visitor-0005')],
    );
  },
);

test('Sec-GPC: 1 counts as DNT: 1 (cookies removed, id empty), without a DNT echo', async () => {
  const rows = await withServer({}, async (server) => {
    const res = await pixel(server, '__wt1vic=visitor-0006', { 'Sec-GPC': '1', Cookie: `${GLOBAL_ID_COOKIE}=abc` });
    assert.equal(res.headers.get('dnt'), null);
    assert.deepEqual(
      [...setCookiesOf(res).entries()].map(([n, c]) => [n, c.attributes['max-age']]),
      [[GLOBAL_ID_COOKIE, '0']],
    );
    await res.arrayBuffer();
  });
  assert.equal(rows[0].global_visitor_id, '');
});

test('ignoreDNT=true: DNT and Sec-GPC are neither echoed nor honoured', async () => {
  const rows = await withServer({ ignoreDNT: true }, async (server) => {
    const res = await pixel(server, '__wt1vic=visitor-0007', { DNT: '1', 'Sec-GPC': '1' });
    assert.equal(res.headers.get('dnt'), null);
    assert.equal(setCookiesOf(res).get(GLOBAL_ID_COOKIE)?.value, globalIdFromSeed('visitor-0007'));
    await res.arrayBuffer();
  });
  assert.equal(rows[0].global_visitor_id, globalIdFromSeed('visitor-0007'));
});

test('p3pHeader is sent as P3P; an unprintable DNT value is not echoed', async () => {
  await withServer({ p3pHeader: 'CP="NOI DSP COR"' }, async (server) => {
    const res = await pixel(server, '__wt1vic=visitor-0008', { DNT: '1'.repeat(40) });
    assert.equal(res.headers.get('p3p'), 'CP="NOI DSP COR"');
    assert.equal(res.headers.get('dnt'), null);
    await res.arrayBuffer();
  });
});

test(
  'over https (X-Forwarded-Proto from a trusted proxy) the ' + 'cookies are SameSite=None; Secure, not otherwise',
  async () => {
    await withServer({}, async (server) => {
      const res = await pixel(server, '__wt1vic=visitor-0009', { 'X-Forwarded-Proto': 'https' });
      const c = setCookiesOf(res).get(GLOBAL_ID_COOKIE)!;
      assert.ok('secure' in c.attributes, c.raw);
      assert.equal(c.attributes.samesite, 'None');
      await res.arrayBuffer();
      const optout = await fetch(`${server.url}/public/cookie/optout`, {
        headers: { 'X-Forwarded-Proto': 'https', Cookie: `${GLOBAL_ID_COOKIE}=x` },
        redirect: 'manual',
      });
      for (const cookie of setCookiesOf(optout).values()) assert.equal(cookie.attributes.samesite, 'None', cookie.raw);
      await optout.arrayBuffer();
      const plain = await pixel(server, '__wt1vic=visitor-0009', { 'X-Forwarded-Proto': 'http' });
      assert.ok(!('secure' in setCookiesOf(plain).get(GLOBAL_ID_COOKIE)!.attributes));
      await plain.arrayBuffer();
    });
    // The same header from a peer that is not a trusted proxy proves nothing.
    await withServer({ trustedProxies: 'none' }, async (server) => {
      const res = await pixel(server, '__wt1vic=visitor-0009', { 'X-Forwarded-Proto': 'https' });
      const c = setCookiesOf(res).get(GLOBAL_ID_COOKIE)!;
      assert.ok(!('secure' in c.attributes), c.raw);
      assert.equal(c.attributes.samesite, undefined);
      await res.arrayBuffer();
    });
  },
);

test('thirdPartyCookies=false (the default): no cookie, no P3P, no DNT echo, no global_visitor_id column', async () => {
  const server = await startTestServer({ p3pHeader: 'CP="NOI"' });
  try {
    const res = await pixel(server, '__wt1vic=visitor-0010', { DNT: '1', Cookie: `${GLOBAL_ID_COOKIE}=abc` });
    assert.equal(res.headers.getSetCookie().length, 0);
    assert.equal(res.headers.get('p3p'), null);
    assert.equal(res.headers.get('dnt'), null);
    await res.arrayBuffer();
  } finally {
    await server.stop();
  }
  const rows = readAllRows(server.root);
  assert.equal(rows.length, 1);
  assert.ok(!('global_visitor_id' in rows[0]));
  removeDir(server.root);
});
