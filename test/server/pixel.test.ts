import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startTestServer, removeDir } from '../helpers/server.js';
import { readAllRows, readLogFile, publishedFiles } from '../helpers/files.js';
import { rawRequest } from '../helpers/raw-http.js';
import { TRANSPARENT_GIF } from '../../src/server/gif.js';
import { decodeComponent, forEachPair } from '../../src/event/query-string.js';

test('a pixel hit answers the GIF with the WT1 headers and lands in the log file', async () => {
  const server = await startTestServer();
  try {
    const res = await fetch(
      `${server.url}/public/p.gif?__wt1ty=page&__wt1vic=visitor1&__wt1sic=session1&__wt1ts=1700000000123` +
        `&color=dark+blue&__wt1bw=1280&__wt1lang=fr`,
      {
        headers: { Referer: 'https://site.example/page?x=1', 'User-Agent': 'TestAgent/1.0' },
      },
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/gif');
    assert.equal(res.headers.get('cache-control'), 'private, no-cache, no-cache=Set-Cookie, proxy-revalidate');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(TRANSPARENT_GIF.length, 42);
    assert.equal(TRANSPARENT_GIF.subarray(0, 6).toString('latin1'), 'GIF89a');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), TRANSPARENT_GIF);
  } finally {
    await server.stop();
  }
  const rows = readAllRows(server.root);
  assert.equal(rows.length, 1);
  const row = rows[0];
  assert.equal(row.client_ts, '2023-11-14T22:13:20.123');
  assert.equal(row.client_addr, '127.0.0.1');
  assert.equal(row.visitor_id, 'visitor1');
  assert.equal(row.session_id, 'session1');
  assert.equal(row.location, 'https://site.example/page?x=1');
  assert.equal(row['user-agent'], 'TestAgent/1.0');
  assert.equal(row.type, 'page');
  assert.equal(row.event_params, 'color=dark+blue');
  assert.equal(row.br_width, '1280');
  assert.equal(row.br_height, '0');
  assert.equal(row.br_lang, 'fr');
  assert.equal(row.tz_off, null);
  assert.equal(row.referer, null);
  removeDir(server.root);
});

/** Values no visitor should be able to break a line with. */
const HOSTILE = [
  'tab\there',
  'new\nline',
  'cr\rlf\r\n',
  'quote"inside"',
  '"',
  '\\',
  'back\\slash\\',
  '\\t literal',
  'null',
  '""',
  'café €😀',
  'x'.repeat(10_000),
  '%',
  '%zz',
  '%E9',
  '%C3',
  '\u0000nul',
  '\u2028sep',
];

/** The value a query-string parameter reads as, after the server's decoding. */
const decoded = (encoded: string): string => decodeComponent(encoded);

test('hostile values in every reserved and custom param, GET and POST, are written field by field', async () => {
  const server = await startTestServer({ 'pixel.maxBodySize': 262_144 });
  const sent: Array<{
    vic: string;
    sic: string;
    lang: string;
    ref: string;
    custom: string;
    tzo: string;
    type: string;
    vpc: string;
  }> = [];
  try {
    for (let i = 0; i < HOSTILE.length; i++) {
      const h = HOSTILE[i];
      // Most values percent-encoded; the malformed-escape ones (starting with %) raw, to test the lenient decoding.
      const enc = (v: string): string => (v.startsWith('%') ? v : encodeURIComponent(v));
      const fields = { vic: `v${i}${h}`, sic: `s${i}${h}`, lang: h, ref: h, custom: h, tzo: h, type: h, vpc: h };
      const qs =
        `__wt1vic=${enc(fields.vic)}&__wt1sic=${enc(fields.sic)}&__wt1lang=${enc(h)}` +
        `&__wt1ref=${enc(h)}&__wt1tzo=${enc(h)}&__wt1ty=${enc(h)}&__wt1vpc=${enc(h)}&k=${enc(h)}`;
      const expected = Object.fromEntries(
        Object.entries(fields).map(([k, v]) => [
          k,
          v.startsWith('%') || (k !== 'vic' && k !== 'sic' && h.startsWith('%')) ? decoded(v) : v,
        ]),
      ) as typeof fields;
      sent.push(expected);
      const viaPost = h.length > 1000 || i % 2 === 1;
      const res = viaPost
        ? await fetch(`${server.url}/public/p.gif`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: qs,
          })
        : await fetch(`${server.url}/public/p.gif?${qs}`);
      assert.equal(res.status, 200, `value ${i}`);
      await res.arrayBuffer();
    }
  } finally {
    await server.stop();
  }
  const file = readLogFile(publishedFiles(server.root)[0]);
  assert.equal(file.lines.length, HOSTILE.length);
  for (const line of file.lines) assert.equal(line.split('\t').length, file.header.length);
  const rows = readAllRows(server.root);
  assert.equal(rows.length, HOSTILE.length);
  rows.forEach((row, i) => {
    const s = sent[i];
    assert.equal(row.visitor_id, s.vic, `visitor_id ${i}`);
    assert.equal(row.session_id, s.sic, `session_id ${i}`);
    // The text `null` reads back as missing (WT1 writes a missing value `"null"`, and tz_off `null`).
    const back = (field: string | null, value: string): string | null =>
      field === null && value === 'null' ? 'null' : field;
    assert.equal(back(row.br_lang, s.lang), s.lang, `br_lang ${i}`);
    assert.equal(back(row.referer, s.ref), s.ref, `referer ${i}`);
    assert.equal(back(row.type, s.type), s.type, `type ${i}`);
    assert.equal(back(row.visitor_params, s.vpc), s.vpc, `visitor_params ${i}`);
    assert.equal(back(row.tz_off, s.tzo), s.tzo, `tz_off ${i}`);
    const params: Array<[string, string]> = [];
    forEachPair(row.event_params!, (k, v) => params.push([k, v]));
    assert.deepEqual(params, [['k', s.custom]], `event_params ${i}`);
  });
  removeDir(server.root);
});

test('hostile Referer and User-Agent headers, with raw non-UTF-8 bytes, stay on one line', async () => {
  const server = await startTestServer();
  try {
    const values: Buffer[] = [
      Buffer.from('quote"and\\backslash\ttab'),
      Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9]), // café in UTF-8
      Buffer.from([0x41, 0xff, 0xfe, 0x42]), // not UTF-8
      Buffer.from('y'.repeat(10_000)),
    ];
    for (const v of values) {
      const head = Buffer.concat([
        Buffer.from(
          'GET /public/p.gif?__wt1vic=raw&__wt1ty=page HTTP/1.1\r\nHost: x\r\nConnection: close\r\nReferer: ',
        ),
        v,
        Buffer.from('\r\nUser-Agent: '),
        v,
        Buffer.from('\r\n\r\n'),
      ]);
      const r = await rawRequest(server.port, head);
      assert.equal(r.status, 200, r.response.toString('latin1').slice(0, 200));
    }
  } finally {
    await server.stop();
  }
  const rows = readAllRows(server.root);
  assert.equal(rows.length, 4);
  assert.equal(rows[0].location, 'quote"and\\backslash\ttab');
  assert.equal(rows[0]['user-agent'], 'quote"and\\backslash\ttab');
  assert.equal(rows[1].location, 'café');
  assert.equal(rows[2]['user-agent'], 'A\uFFFD\uFFFDB');
  assert.equal(rows[3].location, 'y'.repeat(10_000));
  removeDir(server.root);
});

test('POST form body (form-encoded or text/plain from sendBeacon), combined with the query string', async () => {
  const server = await startTestServer();
  try {
    let res = await fetch(`${server.url}/public/p.gif?__wt1ty=event&q=1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      body: '__wt1vic=pv&b=caf%C3%A9&c=x+y',
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/gif');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), TRANSPARENT_GIF);
    res = await fetch(`${server.url}/public/p.gif`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      body: '__wt1vic=beacon&__wt1ty=page',
    });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    res = await fetch(`${server.url}/public/p.gif`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 415);
    assert.equal(res.headers.get('x-wt1-error'), 'WT1_ERR_UNSUPPORTED_MEDIA_TYPE');
    await res.arrayBuffer();
    res = await fetch(`${server.url}/public/p.gif`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: 'a='.padEnd(70_000, 'x'),
    });
    assert.equal(res.status, 413);
    await res.arrayBuffer();
    res = await fetch(`${server.url}/public/p.gif`, { method: 'DELETE' });
    assert.equal(res.status, 405);
    await res.arrayBuffer();
    res = await fetch(`${server.url}/public/p.gif`, { method: 'HEAD' });
    assert.equal(res.status, 200);
  } finally {
    await server.stop();
  }
  const rows = readAllRows(server.root);
  assert.equal(rows.length, 2, 'only the two accepted posts are events');
  assert.equal(rows[0].type, 'event');
  assert.equal(rows[0].visitor_id, 'pv');
  assert.equal(rows[0].event_params, 'q=1&b=caf%C3%A9&c=x+y');
  assert.equal(rows[1].visitor_id, 'beacon');
  removeDir(server.root);
});

test('missing ids are generated, reserved params never leak, /wt1 context path works', async () => {
  const server = await startTestServer();
  try {
    const res = await fetch(
      `${server.url}/wt1/public/p.gif?__wt1ty=page&__wt1zz=secret&__wt1loc=https%3A%2F%2Fsite%2Fx&a=1`,
      { headers: { Referer: 'https://site/' } },
    );
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  } finally {
    await server.stop();
  }
  const [row] = readAllRows(server.root);
  assert.match(row.visitor_id!, /^Z[0-9a-f]{32}$/);
  assert.match(row.session_id!, /^Z[0-9a-f]{32}$/);
  assert.equal(row.event_params, 'a=1');
  assert.equal(row.location, 'https://site/x', '__wt1loc is preferred over Referer');
  removeDir(server.root);
});

test('client address: XFF trusted from the loopback peer by default, ignored with trustedProxies=none', async () => {
  for (const [trusted, expected] of [
    ['loopback', '203.0.113.7'],
    ['none', '127.0.0.1'],
    ['10.0.0.0/8', '127.0.0.1'],
  ] as const) {
    const server = await startTestServer({ trustedProxies: trusted });
    try {
      const res = await fetch(`${server.url}/public/p.gif?__wt1vic=a`, {
        headers: { 'X-Forwarded-For': '6.6.6.6, 203.0.113.7', 'X-Real-IP': '198.51.100.1' },
      });
      await res.arrayBuffer();
    } finally {
      await server.stop();
    }
    assert.equal(readAllRows(server.root)[0].client_addr, expected, trusted);
    removeDir(server.root);
  }
});

test('anonymizeIp truncates the address before it is written', async () => {
  const server = await startTestServer({ anonymizeIp: 'true' });
  try {
    await (await fetch(`${server.url}/public/p.gif`, { headers: { 'X-Forwarded-For': '203.0.113.77' } })).arrayBuffer();
  } finally {
    await server.stop();
  }
  assert.equal(readAllRows(server.root)[0].client_addr, '203.0.113.0');
  removeDir(server.root);
});

test(
  'inlined columns (top level and storage.params) and ' + 'global_visitor_id are written after the WT1 columns',
  async () => {
    const server = await startTestServer({
      inlinedVisitorParams: 'plan',
      'storage.params.inlinedSessionParams': 'campaign',
      'storage.params.inlinedEventParams': 'sku,absent',
    });
    try {
      const qs =
        `__wt1vic=v&__wt1vpc=${encodeURIComponent('plan=pro tab\t&x=1')}` +
        `&__wt1spc=${encodeURIComponent('campaign=spring')}&sku=A%22B&other=1`;
      await (await fetch(`${server.url}/public/p.gif?${qs}`)).arrayBuffer();
    } finally {
      await server.stop();
    }
    const file = readLogFile(publishedFiles(server.root)[0]);
    // Each list in WT1's HashSet order (inlinedParamsOrder=hashset): `sku,absent` is written `absent sku`.
    assert.deepEqual(file.header.slice(17), ['tz_off', 'plan', 'campaign', 'absent', 'sku']);
    assert.match(file.lines[0], /\t"pro tab\\t"\t"spring"\t""\t"A\\"B"$/);
    const [row] = readAllRows(server.root);
    assert.equal(row.plan, 'pro tab\t');
    assert.equal(row.campaign, 'spring');
    assert.equal(row.sku, 'A"B');
    assert.equal(row.absent, '');
    assert.equal(row.event_params, 'sku=A%22B&other=1');
    removeDir(server.root);
  },
);

test(
  'inlined columns (issue 15 §6): in the order WT1 writes them by default, in the config order with ' +
    'inlinedParamsOrder=listed; a space after a comma is kept in the name, with one warning',
  async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const keys = {
      inlinedVisitorParams: 'plan,tier,country',
      inlinedEventParams: 'price,product,sku,qty,category,currency,z,a,seq',
      storageThread: false,
    };
    const qs =
      '__wt1vic=v&__wt1vpc=plan%3Dpro%26tier%3Dgold%26country%3DFR&price=9&product=p&sku=s&qty=1&category=c' +
      '&currency=EUR&z=26&a=1&seq=7';
    const headerWith = async (
      extra: Record<string, string | boolean>,
    ): Promise<{ header: string[]; row: Record<string, string | null> }> => {
      const server = await startTestServer({ ...keys, ...extra }, { logger });
      try {
        await (await fetch(`${server.url}/public/p.gif?${qs}`)).arrayBuffer();
      } finally {
        await server.stop();
      }
      const file = readLogFile(publishedFiles(server.root)[0]);
      const [row] = readAllRows(server.root);
      removeDir(server.root);
      return { header: file.header.slice(18), row };
    };
    const wt1 = await headerWith({});
    assert.deepEqual(wt1.header, [
      'country',
      'tier',
      'plan',
      'a',
      'product',
      'price',
      'qty',
      'currency',
      'z',
      'sku',
      'category',
      'seq',
    ]);
    assert.deepEqual(
      [wt1.row.country, wt1.row.tier, wt1.row.plan, wt1.row.a, wt1.row.seq],
      ['FR', 'gold', 'pro', '1', '7'],
      'each value under its own name',
    );
    const listed = await headerWith({ inlinedParamsOrder: 'listed' });
    assert.deepEqual(listed.header, [
      'plan',
      'tier',
      'country',
      'price',
      'product',
      'sku',
      'qty',
      'category',
      'currency',
      'z',
      'a',
      'seq',
    ]);
    assert.equal(lines.length, 0, 'no warning without spaces');
    const spaced = await headerWith({ inlinedVisitorParams: 'plan, tier', inlinedParamsOrder: 'listed' });
    assert.deepEqual(spaced.header.slice(0, 2), ['plan', ' tier'], 'the column is named with the space, as in WT1');
    assert.equal(spaced.row[' tier'], '', 'only a param named " tier" fills it');
    const warnings = lines.map((l) => JSON.parse(l) as { key?: string; names?: string[]; msg: string });
    assert.equal(warnings.length, 1, lines.join('\n'));
    assert.equal(warnings[0].key, 'inlinedVisitorParams');
    assert.deepEqual(warnings[0].names, [' tier']);
    assert.match(warnings[0].msg, /^inlinedVisitorParams: " tier" /);
  },
);
