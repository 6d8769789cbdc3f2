import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { startTestServer, removeDir, type TestServer } from '../helpers/server.js';
import { readAllRows } from '../helpers/files.js';

const post = (
  server: TestServer,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Response> =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'text/plain', ...headers }, body });

const batch = (...events: object[]): string => JSON.stringify({ api_key: 'k', batch: events });
const base64Form = (json: string): string => `data=${encodeURIComponent(Buffer.from(json).toString('base64'))}`;
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

test('posthog: bad bodies get a 4xx naming the input and the field, and nothing is queued', async () => {
  const server = await startTestServer({
    'api.maxEvents': 3,
    'api.maxFieldLength': 100,
    'api.maxDecompressedSize': 1024,
  });
  const ok = { event: 'e', distinct_id: 'a' };
  const cases: Array<[string, string | Buffer, number, string, Record<string, string>?]> = [
    ['/e/', '{"api_key":"k","batch":[', 400, 'Bad request: posthog: the body is not valid JSON'],
    ['/e/', '', 400, 'Bad request: posthog: the body is empty'],
    ['/e/', '"text"', 400, 'Bad request: posthog: the body must be an object ({"batch": [...]} or one event)'],
    ['/batch/', '{"batch":{}}', 400, 'Bad request: posthog: batch must be an array'],
    ['/batch/', batch({ distinct_id: 'a' }), 400, 'Bad request: posthog: batch[0].event is required'],
    ['/batch/', batch(ok, { event: 'x' }), 400, 'Bad request: posthog: batch[1].distinct_id is required'],
    ['/e', '[{"event":"x","properties":{}}]', 400, 'Bad request: posthog: [0].distinct_id is required'],
    ['/batch/', batch({ ...ok, distinct_id: { id: 1 } }), 400, 'Bad request: posthog: batch[0].distinct_id must be'],
    ['/batch/', batch({ ...ok, properties: [1] }), 400, 'Bad request: posthog: batch[0].properties must be an object'],
    [
      '/capture/',
      JSON.stringify({ ...ok, properties: { $current_url: 7 } }),
      400,
      'Bad request: posthog: the event.properties.$current_url must be a string',
    ],
    [
      '/batch/',
      batch({ ...ok, properties: { $screen_width: '1920' } }),
      400,
      'Bad request: posthog: batch[0].properties.$screen_width must be a number',
    ],
    [
      '/batch/',
      batch({ ...ok, timestamp: 'yesterday' }),
      400,
      'Bad request: posthog: batch[0].timestamp is not a date: "yesterday"',
    ],
    ['/batch/', batch({ ...ok, $set: 'x' }), 400, 'Bad request: posthog: batch[0].$set must be an object'],
    [
      '/batch/',
      batch({ ...ok, event: 'x'.repeat(101) }),
      413,
      'Request body too large: posthog: batch[0].event is 101 characters long, more than the limit of 100',
    ],
    [
      '/batch/',
      batch({ ...ok, properties: { k: 'y'.repeat(99) } }),
      413,
      'Request body too large: posthog: batch[0] (its properties) is',
    ],
    [
      '/batch/',
      batch(ok, ok, ok, ok),
      413,
      'Request body too large: posthog: batch has 4 events, more than the limit of 3 per request',
    ],
    ['/e/', '{"a":' + '['.repeat(40) + ']'.repeat(40) + '}', 413, 'JSON document past a limit: posthog: '],
    ['/e/', Buffer.from([0x1f, 0x8b, 1, 2, 3, 4]), 400, 'Bad request: posthog: the body is not valid gzip'],
    [
      '/e/',
      gzipSync(batch({ ...ok, properties: { pad: ' '.repeat(2000) } })),
      413,
      'Request body too large: posthog: the gunzipped body is larger than the limit of 1024 bytes',
    ],
    ['/e/?compression=base64', 'data=!!!', 400, 'Bad request: posthog: data is not valid base64', FORM],
    ['/e/?compression=base64', 'other=1', 400, 'Bad request: posthog: the form has no data field', FORM],
    ['/e/?compression=base64', base64Form('{"batch":'), 400, 'Bad request: posthog: the body is not valid JSON', FORM],
    ['/e/?compression=lz64', 'data=N4Ig', 400, 'Bad request: posthog: compression lz64', FORM],
    [
      '/e/',
      batch(ok),
      415,
      'Unsupported media type: posthog: accepts application/json or text/plain or application/x-www-form-urlencoded',
      { 'Content-Type': 'text/html' },
    ],
  ];
  try {
    for (const [path, body, status, message, headers] of cases) {
      const res = await post(server, path, body, headers);
      const text = await res.text();
      assert.equal(res.status, status, `${path} ${String(body).slice(0, 60)}: ${text}`);
      assert.ok(text.startsWith(message), `${text} should start with ${message}`);
      assert.ok(res.headers.get('x-wt1-error')?.startsWith('WT1_ERR_'));
    }
    assert.equal(server.collector.context.dispatcher.received, 0, 'nothing of a refused request is queued');
    const get = await fetch(`${server.url}/e/`);
    assert.equal(get.status, 405);

    // Every form the SDKs send is accepted: sniffed gzip (posthog-js, no Content-Encoding), gzip with
    // Content-Encoding (posthog-node), base64 form data (sendBeacon), the JSON in the form (older
    // clients), an array of events, one event, and every path with and without its trailing slash.
    const accepted: Array<[string, string | Buffer, Record<string, string>?]> = [
      ['/e/?compression=gzip-js', gzipSync(batch({ ...ok, event: 'sniffed' }))],
      ['/batch/', gzipSync(batch({ ...ok, event: 'encoded' })), { 'Content-Encoding': 'gzip' }],
      ['/e/?compression=base64', base64Form(batch({ ...ok, event: 'base64' })), FORM],
      ['/e', `data=${encodeURIComponent(batch({ ...ok, event: 'form-json', properties: { city: 'Zürich' } }))}`, FORM],
      ['/e', batch({ ...ok, event: 'json-labelled-form' }), FORM],
      ['/i/v0/e/', JSON.stringify([{ event: 'array', properties: { distinct_id: 'a', token: 'k' } }])],
      ['/i/v0/e', JSON.stringify({ ...ok, event: 'single', api_key: 'k' }), { 'Content-Type': 'application/json' }],
      ['/capture', batch({ ...ok, event: 'capture' })],
      // $set beside properties (older server SDKs) and in them: both kept, the event's winning.
      ['/batch', batch({ ...ok, event: 'batch', $set: { a: 1, b: 3 }, properties: { $set: { b: 2, c: 4 } } })],
    ];
    for (const [path, body, headers] of accepted) {
      const res = await post(server, path, body, headers);
      assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
      assert.deepEqual(await res.json(), { status: 1 });
    }
  } finally {
    await server.stop();
  }
  const rows = readAllRows(server.root);
  assert.deepEqual(
    rows.map((r) => r.type),
    ['sniffed', 'encoded', 'base64', 'form-json', 'json-labelled-form', 'array', 'single', 'capture', 'batch'],
  );
  for (const row of rows) assert.equal(new URLSearchParams(row.event_params!).get('_site'), 'k');
  assert.equal(new URLSearchParams(rows[3].event_params!).get('city'), 'Zürich');
  assert.equal(rows[8].visitor_params, 'b=3&c=4&a=1');
  removeDir(server.root);
});

test('posthog: inputs.posthog.apiKeys refuses other keys with 403, in events and in the config path', async () => {
  const server = await startTestServer({ 'inputs.posthog.apiKeys': 'phc_good' });
  try {
    const event = { event: 'e', distinct_id: 'a' };
    assert.equal((await post(server, '/batch/', JSON.stringify({ api_key: 'phc_good', batch: [event] }))).status, 200);
    const foreign = await post(server, '/batch/', JSON.stringify({ api_key: 'phc_stolen', batch: [event] }));
    assert.equal(foreign.status, 403);
    assert.equal(await foreign.text(), 'Forbidden: posthog: "phc_stolen" is not in inputs.posthog.apiKeys');
    const inProperties = await post(server, '/e/', JSON.stringify([{ ...event, properties: { token: 'phc_x' } }]));
    assert.equal(inProperties.status, 403);
    const none = await post(server, '/e/', JSON.stringify(event));
    assert.equal(none.status, 403);
    assert.match(await none.text(), /names no site/);

    const config = await fetch(`${server.url}/array/phc_good/config`);
    assert.equal(config.status, 200);
    const body = (await config.json()) as Record<string, unknown>;
    assert.equal(body.hasFeatureFlags, false);
    assert.equal(body.sessionRecording, false);
    assert.deepEqual(body.siteApps, []);
    assert.equal(body.surveys, undefined);
    assert.equal((await fetch(`${server.url}/array/phc_stolen/config`)).status, 403);
    const script = await fetch(`${server.url}/array/phc_good/config.js`);
    assert.equal(script.status, 404);
    assert.match(await script.text(), /posthog: .*wt1 serves no scripts/);
    for (const path of ['/flags/?v=2', '/decide/?v=3']) {
      const flags = await post(server, path, base64Form('{"token":"phc_good","distinct_id":"a"}'), FORM);
      assert.equal(flags.status, 200);
      const answer = (await flags.json()) as Record<string, unknown>;
      assert.deepEqual([answer.flags, answer.featureFlags, answer.hasFeatureFlags], [{}, {}, false]);
    }
  } finally {
    await server.stop();
  }
  assert.equal(readAllRows(server.root).length, 1);
  removeDir(server.root);
});

test('posthog fuzz: any body gets 200 or a 4xx naming the input, never a 5xx; refused, nothing queued', async () => {
  const server = await startTestServer({ 'api.maxEvents': 5, 'api.maxFieldLength': 200 });
  const event = fc.record(
    {
      event: fc.oneof(fc.constantFrom('$pageview', '$identify', 'Clicked'), fc.anything()),
      distinct_id: fc.oneof(fc.string(), fc.integer(), fc.anything()),
      properties: fc.oneof(
        fc.record(
          {
            $current_url: fc.oneof(fc.webUrl(), fc.anything()),
            $referrer: fc.oneof(fc.constant('$direct'), fc.webUrl(), fc.anything()),
            $screen_width: fc.oneof(fc.integer(), fc.anything()),
            $set: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.anything()),
            custom: fc.jsonValue(),
          },
          { requiredKeys: [] },
        ),
        fc.anything(),
      ),
      timestamp: fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.anything(),
      ),
      uuid: fc.oneof(fc.uuid(), fc.anything()),
    },
    { requiredKeys: [] },
  );
  const body = fc.oneof(
    event,
    fc.record({ api_key: fc.oneof(fc.string(), fc.anything()), batch: fc.array(event, { maxLength: 7 }) }),
    fc.array(event, { maxLength: 3 }),
    fc.jsonValue(),
  );
  const encoding = fc.constantFrom('json', 'gzip', 'base64');
  try {
    await fc.assert(
      fc.asyncProperty(body, encoding, fc.constantFrom('/e/', '/batch/', '/i/v0/e'), async (value, how, path) => {
        const before = server.collector.context.dispatcher.received;
        const json = JSON.stringify(value) ?? 'undefined';
        const res =
          how === 'json'
            ? await post(server, path, json)
            : how === 'gzip'
              ? await post(server, path, gzipSync(json))
              : await post(server, `${path}?compression=base64`, base64Form(json), FORM);
        const text = await res.text();
        if (res.status === 200) return;
        assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${text}`);
        assert.match(text, /posthog/);
        assert.equal(server.collector.context.dispatcher.received, before);
      }),
      { numRuns: 300 },
    );
  } finally {
    await server.stop();
    removeDir(server.root);
  }
});
