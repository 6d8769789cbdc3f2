import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startTestServer, removeDir } from '../helpers/server.js';
import { readAllRows } from '../helpers/files.js';
import { rawPost } from '../helpers/http.js';

const TS = 1700000000123;

test('valid batches, plain and gzipped, land with every field in its column', async () => {
  const server = await startTestServer();
  const endpoint = `${server.url}/public/events`;
  const message = (batch: string): object => ({
    visitorId: `visitor-${batch}`,
    sessionId: `session-${batch}`,
    vparams: 'plan=pro',
    sparams: 'campaign=spring+sale',
    ua: 'MobileApp/3.1',
    clientLang: 'fr-FR',
    ignoredField: [1, 2],
    events: [
      {
        type: 'page',
        clientTS: TS,
        page: `https://site.example/${batch}?x=1`,
        referer: 'https://ref.example/',
        params: 'color=dark+blue&n=1',
        unknown: 'x',
      },
      {
        type: 'event',
        clientTS: TS + 1,
        page: `https://site.example/${batch}`,
        params: { total: 42.5, label: 'tab\there' },
      },
    ],
  });
  try {
    const plain = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=UTF-8', 'X-Forwarded-For': '203.0.113.9' },
      body: JSON.stringify(message('plain')),
    });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(await plain.json(), { accepted: 2 });

    const gz = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/gzip' },
      body: gzipSync(JSON.stringify(message('gzip'))),
    });
    assert.deepEqual([gz.status, await gz.json()], [200, { accepted: 2 }]);

    const encoded = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: gzipSync(JSON.stringify(message('encoded'))),
    });
    assert.deepEqual([encoded.status, await encoded.json()], [200, { accepted: 2 }]);

    // a small body that expands past the synchronous gunzip cap (1 MiB) is gunzipped again in the thread pool
    const padded = gzipSync('{"events":[{"type":"padded"}]' + ' '.repeat(2 * 1024 * 1024) + '}');
    assert.ok(padded.length < 64 * 1024);
    const big = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/gzip' },
      body: padded,
    });
    assert.deepEqual([big.status, await big.json()], [200, { accepted: 1 }]);
    const tooBig = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/gzip' },
      body: gzipSync('{"events":[{}]' + ' '.repeat(11 * 1024 * 1024) + '}'),
    });
    assert.equal(tooBig.status, 413);
    assert.equal(
      await tooBig.text(),
      'Request body too large: the gunzipped body is larger than the limit of 10485760 bytes',
    );

    // a UTF-8 byte order mark is tolerated
    const bom = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"events":[{"type":"bom"}]}')]),
    });
    assert.deepEqual([bom.status, await bom.json()], [200, { accepted: 1 }]);

    // no ids: generated like the pixel's; no ua: the request's User-Agent
    const bare = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'curl/8.0' },
      body: '{"events":[{"type":"page"}]}',
    });
    assert.deepEqual([bare.status, await bare.json()], [200, { accepted: 1 }]);
  } finally {
    await server.stop();
  }
  const rows = readAllRows(server.root);
  assert.equal(rows.length, 9);
  assert.equal(rows[6].type, 'padded');
  assert.equal(rows[7].type, 'bom');
  for (const [i, batch] of ['plain', 'gzip', 'encoded'].entries()) {
    const [page, event] = rows.slice(i * 2, i * 2 + 2);
    assert.match(page.server_ts!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
    assert.equal(page.client_ts, '2023-11-14T22:13:20.123');
    assert.equal(page.client_addr, batch === 'plain' ? '203.0.113.9' : '127.0.0.1');
    assert.equal(page.visitor_id, `visitor-${batch}`);
    assert.equal(page.session_id, `session-${batch}`);
    assert.equal(page.location, `https://site.example/${batch}?x=1`);
    assert.equal(page.referer, 'https://ref.example/');
    assert.equal(page['user-agent'], 'MobileApp/3.1');
    assert.equal(page.type, 'page');
    assert.equal(page.visitor_params, 'plan=pro');
    assert.equal(page.session_params, 'campaign=spring+sale');
    assert.equal(page.event_params, 'color=dark+blue&n=1');
    assert.deepEqual([page.br_width, page.br_height, page.sc_width, page.sc_height], ['0', '0', '0', '0']);
    assert.equal(page.br_lang, 'fr-FR');
    assert.equal(event.client_ts, '2023-11-14T22:13:20.124');
    assert.equal(event.type, 'event');
    assert.equal(event.referer, null);
    assert.equal(event.event_params, 'total=42.5&label=tab%09here');
    assert.equal(event.visitor_id, `visitor-${batch}`);
  }
  const generated = rows[8];
  assert.match(generated.visitor_id!, /^Z[0-9a-f]{32}$/);
  assert.match(generated.session_id!, /^Z[0-9a-f]{32}$/);
  assert.equal(generated['user-agent'], 'curl/8.0');
  assert.equal(generated.client_ts, '1970-01-01T00:00:00.000');
  assert.equal(generated.location, null);
  removeDir(server.root);
});

test('each malformed body gets its precise status and message, and nothing is written', async () => {
  const server = await startTestServer({
    'api.maxBodySize': 2048,
    'api.maxDecompressedSize': 4096,
    'api.maxEvents': 5,
    'api.maxFieldLength': 100,
  });
  const endpoint = `${server.url}/public/events`;
  const json = { 'Content-Type': 'application/json' };
  const validGzip = gzipSync('{"events":[{"type":"page"}]}');
  const cases: Array<{
    name: string;
    headers: Record<string, string>;
    body: Buffer | Buffer[];
    status: number;
    code: string;
    message: string;
  }> = [
    {
      name: 'text/plain',
      headers: { 'Content-Type': 'text/plain' },
      body: Buffer.from('{}'),
      status: 415,
      code: 'WT1_ERR_UNSUPPORTED_MEDIA_TYPE',
      message: 'Unsupported media type: the events API accepts application/json or application/gzip, not text/plain',
    },
    {
      name: 'no Content-Type',
      headers: {},
      body: Buffer.from('{}'),
      status: 415,
      code: 'WT1_ERR_UNSUPPORTED_MEDIA_TYPE',
      message:
        'Unsupported media type: the events API accepts application/json or application/gzip, not a body without ' +
        'Content-Type',
    },
    {
      name: 'latin-1',
      headers: { 'Content-Type': 'application/json; charset=ISO-8859-1' },
      body: Buffer.from('{}'),
      status: 415,
      code: 'WT1_ERR_UNSUPPORTED_MEDIA_TYPE',
      message: 'Unsupported media type: charset iso-8859-1 is not supported, send utf-8',
    },
    {
      name: 'brotli',
      headers: { ...json, 'Content-Encoding': 'br' },
      body: Buffer.from('{}'),
      status: 415,
      code: 'WT1_ERR_UNSUPPORTED_MEDIA_TYPE',
      message: 'Unsupported media type: Content-Encoding br is not supported (send gzip or nothing)',
    },
    {
      name: 'empty',
      headers: json,
      body: Buffer.alloc(0),
      status: 400,
      code: 'WT1_ERR_BAD_REQUEST',
      message: 'Bad request: the body is empty',
    },
    {
      name: 'not JSON',
      headers: json,
      body: Buffer.from('{"events": [}'),
      status: 400,
      code: 'WT1_ERR_BAD_REQUEST',
      message: 'Bad request: the body is not valid JSON: ',
    },
    {
      name: 'not gzip',
      headers: { 'Content-Type': 'application/gzip' },
      body: Buffer.from('{"events":[]}'),
      status: 400,
      code: 'WT1_ERR_BAD_REQUEST',
      message: 'Bad request: the body is not valid gzip: incorrect header check',
    },
    {
      name: 'truncated gzip',
      headers: { ...json, 'Content-Encoding': 'gzip' },
      body: validGzip.subarray(0, validGzip.length - 6),
      status: 400,
      code: 'WT1_ERR_BAD_REQUEST',
      message: 'Bad request: the body is not valid gzip: unexpected end of file',
    },
    {
      name: 'gzipped garbage',
      headers: { 'Content-Type': 'application/gzip' },
      body: gzipSync('not json'),
      status: 400,
      code: 'WT1_ERR_BAD_REQUEST',
      message: 'Bad request: the body is not valid JSON: ',
    },
    {
      name: 'no events',
      headers: json,
      body: Buffer.from('{"visitorId":"v"}'),
      status: 400,
      code: 'WT1_ERR_BAD_REQUEST',
      message: 'Bad request: events is missing',
    },
    {
      name: 'empty events',
      headers: json,
      body: Buffer.from('{"events":[]}'),
      status: 400,
      code: 'WT1_ERR_BAD_REQUEST',
      message: 'Bad request: events must not be empty',
    },
    {
      name: 'bad clientTS',
      headers: json,
      body: Buffer.from('{"events":[{},{},{},{"clientTS":"yesterday"}]}'),
      status: 400,
      code: 'WT1_ERR_BAD_REQUEST',
      message: 'Bad request: events[3].clientTS must be a number',
    },
    {
      name: 'bad params',
      headers: json,
      body: Buffer.from('{"events":[{"params":[1]}]}'),
      status: 400,
      code: 'WT1_ERR_BAD_REQUEST',
      message: 'Bad request: events[0].params must be a string (a query string) or an object',
    },
    {
      name: 'too many events',
      headers: json,
      body: Buffer.from(JSON.stringify({ events: [{}, {}, {}, {}, {}, {}] })),
      status: 413,
      code: 'WT1_ERR_BODY_TOO_LARGE',
      message: 'Request body too large: events has 6 events, more than the limit of 5 per message',
    },
    {
      name: 'field too long',
      headers: json,
      body: Buffer.from(JSON.stringify({ events: [{ page: 'p'.repeat(101) }] })),
      status: 413,
      code: 'WT1_ERR_BODY_TOO_LARGE',
      message: 'Request body too large: events[0].page is 101 characters long, more than the limit of 100',
    },
    {
      name: 'body too large',
      headers: json,
      body: Buffer.from(JSON.stringify({ events: [{ page: 'p'.repeat(3000) }] })),
      status: 413,
      code: 'WT1_ERR_BODY_TOO_LARGE',
      message: 'Request body too large: the body is larger than the limit of 2048 bytes',
    },
    {
      name: 'chunked body too large',
      headers: json,
      body: Array.from({ length: 10 }, () => Buffer.alloc(1000, 32)),
      status: 413,
      code: 'WT1_ERR_BODY_TOO_LARGE',
      message: 'Request body too large: the body is larger than the limit of 2048 bytes',
    },
    {
      name: 'chunked gzip too large',
      headers: { 'Content-Type': 'application/gzip' },
      body: [Buffer.from([0x1f, 0x8b]), ...Array.from({ length: 10 }, () => Buffer.alloc(1000, 32))],
      status: 413,
      code: 'WT1_ERR_BODY_TOO_LARGE',
      message: 'Request body too large: the body is larger than the limit of 2048 bytes',
    },
    {
      name: 'gunzipped too large',
      headers: { 'Content-Type': 'application/gzip' },
      body: gzipSync(JSON.stringify({ events: [{ page: 'p'.repeat(5000) }] })),
      status: 413,
      code: 'WT1_ERR_BODY_TOO_LARGE',
      message: 'Request body too large: the gunzipped body is larger than the limit of 4096 bytes',
    },
  ];
  try {
    for (const c of cases) {
      const res = await rawPost(endpoint, c.headers, c.body);
      assert.equal(res.status, c.status, c.name);
      assert.equal(res.headers['x-wt1-error'], c.code, c.name);
      assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8', c.name);
      if (c.message.endsWith(': '))
        assert.ok(res.body.startsWith(c.message) && res.body.length > c.message.length, `${c.name}: ${res.body}`);
      else assert.equal(res.body, c.message, c.name);
    }
    const get = await fetch(endpoint);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST, OPTIONS');
    assert.equal(server.collector.context.dispatcher.received, 0);
  } finally {
    await server.stop();
  }
  assert.deepEqual(readAllRows(server.root), []);
  removeDir(server.root);
});
