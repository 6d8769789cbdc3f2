import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestServer, removeDir, type TestServer } from '../helpers/server.js';
import { readAllRows, type Row } from '../helpers/files.js';

const TP2 = '/com.snowplowanalytics.snowplow/tp2';
const PAYLOAD_DATA = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4';
const batch = (...data: unknown[]): string => JSON.stringify({ schema: PAYLOAD_DATA, data });
const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const ue = (schema: string, data: unknown) => ({
  schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',
  data: { schema, data },
});
const params = (row: Row): Record<string, string> => Object.fromEntries(new URLSearchParams(row.event_params ?? ''));

const post = (server: TestServer, body: string | Buffer, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${server.url}${TP2}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

test('snowplow: bad requests get a 4xx naming the input and the field, and nothing is queued', async () => {
  const server = await startTestServer({ 'api.maxEvents': 3, 'api.maxFieldLength': 200, 'api.maxDepth': 8 });
  const pv = { e: 'pv', url: 'https://site.example/' };
  const cases: Array<[string, number, string]> = [
    ['{"schema":', 400, 'Bad request: snowplow: the body is not valid JSON'],
    ['', 400, 'Bad request: snowplow: the body is empty'],
    ['[1]', 400, 'Bad request: snowplow: the body must be a JSON object {schema, data}'],
    [
      '{"schema":"iglu:com.acme/x/jsonschema/1-0-0","data":[]}',
      400,
      'Bad request: snowplow: schema must be the payload_data Iglu URI, not "iglu:com.acme/x/jsonschema/1-0-0"',
    ],
    [`{"schema":"${PAYLOAD_DATA}","data":{}}`, 400, 'Bad request: snowplow: data must be an array of events'],
    [
      batch(pv, pv, pv, pv),
      413,
      'Request body too large: snowplow: data has 4 events, more than the limit of 3 per request',
    ],
    [batch(pv, 1), 400, 'Bad request: snowplow: data[1] must be an object'],
    [batch({ e: 'pv', url: { a: 1 } }), 400, 'Bad request: snowplow: data[0].url must be a string'],
    [batch({ url: 'x' }), 400, 'Bad request: snowplow: data[0].e (the event type) is required'],
    [batch({ e: 'zz' }), 400, 'Bad request: snowplow: data[0].e "zz" is not a Snowplow event type'],
    [
      batch({ e: 'se', se_ca: 'c' }),
      400,
      'Bad request: snowplow: data[0].se_ac (the action) is required in a structured event (e=se)',
    ],
    [batch({ e: 'ue' }), 400, 'Bad request: snowplow: data[0].ue_pr or ue_px is required'],
    [batch({ e: 'ue', ue_px: 'e30@' }), 400, 'Bad request: snowplow: data[0].ue_px is not valid base64'],
    [batch({ e: 'ue', ue_px: 'e30=x' }), 400, 'Bad request: snowplow: data[0].ue_px is not valid base64'],
    [
      batch({ e: 'ue', ue_px: Buffer.from([0xff, 0xfe, 0x7b]).toString('base64') }),
      400,
      'Bad request: snowplow: data[0].ue_px is base64 of bytes that are not UTF-8 text',
    ],
    [
      batch({ e: 'ue', ue_px: Buffer.from('not json').toString('base64url') }),
      400,
      'Bad request: snowplow: data[0].ue_px is not valid JSON',
    ],
    [
      batch({ e: 'ue', ue_pr: JSON.stringify(ue('nope', {})) }),
      400,
      `Bad request: snowplow: data[0].ue_pr's data.schema "nope" is not an Iglu URI`,
    ],
    [
      batch({ e: 'ue', ue_pr: JSON.stringify(ue('iglu:com.acme/x/jsonschema/1-0-0', [1])) }),
      400,
      `Bad request: snowplow: data[0].ue_pr's data.data must be an object`,
    ],
    [
      batch({ ...pv, co: '{"schema":"c","data":{}}' }),
      400,
      'Bad request: snowplow: data[0].co must be a JSON object {schema, data: [...]}',
    ],
    [
      batch({ ...pv, cx: b64url({ schema: 'c', data: [{ schema: 'iglu:a/b/jsonschema/1-0-0', data: 'x' }] }) }),
      400,
      `Bad request: snowplow: data[0].cx's data[0].data must be an object`,
    ],
    [
      batch({ ...pv, dtm: 'yesterday' }),
      400,
      'Bad request: snowplow: data[0].dtm is not a time in ms since 1970: "yesterday"',
    ],
    [
      batch({ e: 'pv', url: `https://site.example/${'x'.repeat(190)}` }),
      413,
      'Request body too large: snowplow: data[0].url is 211 characters long, more than the limit of 200',
    ],
    [
      batch({ ...pv, co: '{"a":' + '['.repeat(10) + ']'.repeat(10) + '}' }),
      413,
      'JSON document past a limit: snowplow: data[0].co: ',
    ],
    [
      batch({ ...pv, title: 'a', tna: 'b', tv: 'c', eid: 'd', stm: 'e', k1: 'x'.repeat(150), k2: 'y'.repeat(150) }),
      413,
      "Request body too large: snowplow: data[0]'s params is",
    ],
    [batch(pv, { e: 'pv', dtm: '-1' }), 400, 'Bad request: snowplow: data[1].dtm is not a time in ms since 1970'],
  ];
  try {
    for (const [body, status, message] of cases) {
      const res = await post(server, body);
      const text = await res.text();
      assert.equal(res.status, status, `${body.slice(0, 80)}: ${text}`);
      assert.ok(text.startsWith(message), `${text} should start with ${message}`);
      assert.ok(res.headers.get('x-wt1-error')?.startsWith('WT1_ERR_'));
    }
    for (const [path, status, message] of [
      ['/i?url=x', 400, 'Bad request: snowplow: e (the event type) is required'],
      ['/i?e=pv&dtm=now', 400, 'Bad request: snowplow: dtm is not a time in ms since 1970: "now"'],
      ['/com.snowplowanalytics.snowplow/i?e=ue&ue_px=%25%25', 400, 'Bad request: snowplow: ue_px is not valid base64'],
      [`/i?e=pv&url=${'u'.repeat(201)}`, 413, 'Request body too large: snowplow: url is 201 characters long'],
    ] as const) {
      const res = await fetch(`${server.url}${path}`);
      const text = await res.text();
      assert.equal(res.status, status, `${path}: ${text}`);
      assert.ok(text.startsWith(message), `${text} should start with ${message}`);
    }
    const html = await post(server, batch(pv), { 'Content-Type': 'text/html' });
    assert.equal(html.status, 415);
    assert.match(await html.text(), /^Unsupported media type: snowplow: accepts application\/json/);
    assert.equal((await fetch(`${server.url}${TP2}`)).status, 405);
    assert.equal((await fetch(`${server.url}/i`, { method: 'POST', body: batch(pv) })).status, 405);
    assert.equal(server.collector.context.dispatcher.received, 0, 'nothing of a refused request is queued');
  } finally {
    await server.stop();
  }
  assert.deepEqual(readAllRows(server.root), []);
  removeDir(server.root);
});

test(
  'snowplow: both base64 alphabets with or without padding; inputs.snowplow.appIds; SP-Anonymous; ' +
    'the visitor hash without duid; preflight with credentials',
  async () => {
    const server = await startTestServer({
      'inputs.snowplow.appIds': 'good',
      'api.corsOrigins': 'https://site.example',
      visitorIdSalt: 's',
    });
    // `?>?>` and `~~~` make `/` and `+` in standard base64 (`_` and `-` in base64url); `pad` makes it padded.
    const data = { text: 'ü?>?>~~~', n: 1, pad: '' };
    const event = ue('iglu:com.acme/typed/jsonschema/1-0-0', data);
    while (!Buffer.from(JSON.stringify(event)).toString('base64').endsWith('=')) data.pad += 'x';
    const standard = Buffer.from(JSON.stringify(event)).toString('base64');
    try {
      assert.match(standard, /[+/].*=$/);
      const ok = await post(
        server,
        batch(
          { e: 'ue', aid: 'good', duid: 'd1', ue_px: standard },
          { e: 'ue', aid: 'good', duid: 'd1', ue_px: standard.replace(/=+$/, '') },
          { e: 'ue', aid: 'good', duid: 'd1', ue_px: b64url(event) },
        ),
        { Origin: 'https://site.example' },
      );
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), 'ok');
      assert.equal(ok.headers.get('access-control-allow-origin'), 'https://site.example');
      assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
      const foreignOrigin = await post(server, batch({ e: 'pv', aid: 'good' }), { Origin: 'https://evil.example' });
      assert.equal(foreignOrigin.status, 200, 'CORS is the browser’s check; the event is taken');
      assert.equal(foreignOrigin.headers.get('access-control-allow-origin'), null);

      const foreign = await post(server, batch({ e: 'pv', aid: 'good' }, { e: 'pv', aid: 'bad' }));
      assert.equal(foreign.status, 403);
      assert.equal(await foreign.text(), 'Forbidden: snowplow: "bad" is not in inputs.snowplow.appIds');
      const none = await fetch(`${server.url}/i?e=pv`);
      assert.equal(none.status, 403);
      assert.match(await none.text(), /names no site, and inputs\.snowplow\.appIds is set/);

      const anonymous = await post(server, batch({ e: 'pv', aid: 'good' }, { e: 'pv', aid: 'good', duid: 'd2' }), {
        'SP-Anonymous': '*',
      });
      assert.equal(anonymous.status, 200);
      const hashed = await fetch(`${server.url}/i?e=pv&aid=good&url=https%3A%2F%2Fsite.example%2F`);
      assert.equal(hashed.status, 200);
      assert.equal(hashed.headers.get('content-type'), 'image/gif');
      assert.equal((await hashed.arrayBuffer()).byteLength, 42);

      const preflight = await fetch(`${server.url}${TP2}`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://site.example',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type,sp-anonymous',
        },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://site.example');
      assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
      assert.match(preflight.headers.get('access-control-allow-headers')!, /content-type.*sp-anonymous/i);
      assert.equal(preflight.headers.get('vary'), 'Origin');
    } finally {
      await server.stop();
    }
    const rows = readAllRows(server.root);
    assert.equal(rows.length, 7);
    for (const row of rows.slice(0, 3)) {
      assert.equal(row.type, 'typed');
      assert.deepEqual([params(row).text, params(row).n], [data.text, '1']);
    }
    const [anonymousNoId, anonymousId, hashedRow] = rows.slice(4);
    assert.deepEqual([anonymousNoId.client_addr, anonymousNoId.visitor_id], ['', '']);
    assert.deepEqual([anonymousId.client_addr, anonymousId.visitor_id], ['', 'd2']);
    assert.equal(hashedRow.client_addr, '127.0.0.1');
    assert.match(hashedRow.visitor_id!, /^[0-9a-f]{32}$/);
    assert.equal(hashedRow.location, 'https://site.example/');
    removeDir(server.root);
  },
);

test(
  'snowplow fuzz: any body or query gets 200 or a 4xx naming the input, never a 5xx, ' +
    'and a refused request queues nothing',
  async () => {
    const server = await startTestServer({ 'api.maxEvents': 5, 'api.maxFieldLength': 2000 });
    // Mostly well-formed events with odd values (so that many are accepted), some of anything.
    const json = fc.jsonValue({ maxDepth: 2 });
    const selfDescribing = fc.record({
      schema: fc.oneof(
        { arbitrary: fc.constantFrom('iglu:com.acme/thing/jsonschema/1-0-0', 'iglu:a/b/c/1-0-0'), weight: 12 },
        { arbitrary: fc.string(), weight: 1 },
      ),
      data: fc.oneof(
        { arbitrary: fc.dictionary(fc.string(), json, { maxKeys: 4 }), weight: 12 },
        { arbitrary: json, weight: 1 },
      ),
    });
    // `ue_pr` / `co` as JSON text, `ue_px` / `cx` in either base64 alphabet; sometimes any text.
    const text = (value: fc.Arbitrary<unknown>) =>
      fc.oneof({ arbitrary: value.map((v) => JSON.stringify(v)), weight: 8 }, fc.string());
    const encoded = (value: fc.Arbitrary<unknown>) =>
      fc.oneof(
        { arbitrary: value.map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')), weight: 4 },
        { arbitrary: value.map((v) => Buffer.from(JSON.stringify(v)).toString('base64')), weight: 4 },
        fc.string(),
      );
    const envelope = <T>(data: fc.Arbitrary<T>) =>
      fc.oneof({ arbitrary: fc.record({ schema: fc.string(), data }), weight: 12 }, { arbitrary: json, weight: 1 });
    const field = fc.oneof(fc.string({ maxLength: 20 }), fc.integer().map(String));
    const event = fc.record(
      {
        e: fc.oneof(
          { arbitrary: fc.constantFrom('pv', 'pp', 'se', 'ue', 'tr', 'ti'), weight: 6 },
          { arbitrary: fc.string(), weight: 1 },
        ),
        aid: field,
        duid: field,
        url: field,
        dtm: fc.oneof({ arbitrary: fc.nat().map(String), weight: 4 }, { arbitrary: field, weight: 1 }),
        res: field,
        se_ac: field,
        ue_pr: text(envelope(selfDescribing)),
        ue_px: encoded(envelope(selfDescribing)),
        co: text(envelope(fc.array(selfDescribing, { maxLength: 3 }))),
        cx: encoded(envelope(fc.array(selfDescribing, { maxLength: 3 }))),
      },
      { requiredKeys: ['e'] },
    );
    const anyEvent = fc.oneof({ arbitrary: event, weight: 8 }, fc.dictionary(fc.string(), fc.anything()));
    const body = fc.oneof(
      { arbitrary: fc.array(anyEvent, { maxLength: 6 }).map((data) => batch(...data)), weight: 6 },
      fc
        .record({ schema: fc.oneof(fc.constant(PAYLOAD_DATA), fc.anything()), data: fc.anything() })
        .map((b) => JSON.stringify(b)),
      json.map((v) => JSON.stringify(v)),
    );
    const query = event.map((e) =>
      Object.entries(e)
        .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
        .join('&'),
    );
    const check = async (res: Response, before: number): Promise<void> => {
      const text = res.headers.get('content-type') === 'image/gif' ? '' : await res.text();
      if (res.status === 200) return;
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${text}`);
      assert.match(text, /snowplow/);
      assert.equal(server.collector.context.dispatcher.received, before);
    };
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            body.map((b) => ['POST', b]),
            query.map((q) => ['GET', q]),
          ),
          async ([method, x]) => {
            const before = server.collector.context.dispatcher.received;
            if (method === 'POST') await check(await post(server, x), before);
            else await check(await fetch(`${server.url}/i?${x}`), before);
          },
        ),
        { numRuns: 300 },
      );
    } finally {
      await server.stop();
      removeDir(server.root);
    }
  },
);
