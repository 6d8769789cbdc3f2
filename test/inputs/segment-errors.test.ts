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

test('segment: bad bodies get a 4xx naming the input and the field, and nothing is queued', async () => {
  const server = await startTestServer({ 'api.maxEvents': 3, 'api.maxFieldLength': 100 });
  const cases: Array<[string, string | Buffer, number, string, Record<string, string>?]> = [
    ['/v1/t', '{"anonymousId":"a","event":', 400, 'Bad request: segment: the body is not valid JSON'],
    ['/v1/t', '', 400, 'Bad request: segment: the body is empty'],
    ['/v1/t', '[1]', 400, 'Bad request: segment: the body must be a JSON object'],
    ['/v1/t', '{"anonymousId":"a"}', 400, 'Bad request: segment: the message.event is required in a track message'],
    ['/v1/t', '{"event":"x"}', 400, 'Bad request: segment: the message: anonymousId or userId is required'],
    [
      '/v1/t',
      '{"anonymousId":"a","event":"x","properties":[1]}',
      400,
      'Bad request: segment: the message.properties must be an object',
    ],
    [
      '/v1/t',
      '{"anonymousId":"a","event":"x","timestamp":"yesterday"}',
      400,
      'Bad request: segment: the message.timestamp is not a date: "yesterday"',
    ],
    [
      '/v1/t',
      '{"anonymousId":{"a":1},"event":"x"}',
      400,
      'Bad request: segment: the message.anonymousId must be a string',
    ],
    [
      '/v1/t',
      `{"anonymousId":"a","event":"${'x'.repeat(101)}"}`,
      413,
      'Request body too large: segment: the message.event is 101 characters long, more than the limit of 100',
    ],
    [
      '/v1/t',
      `{"anonymousId":"a","event":"x","properties":{"k":"${'y'.repeat(120)}"}}`,
      413,
      'Request body too large: segment: the message (its properties) is',
    ],
    ['/v1/batch', '{"batch":{}}', 400, 'Bad request: segment: batch must be an array'],
    [
      '/v1/batch',
      '{"batch":[{"type":"track","anonymousId":"a","event":"ok"},{"type":"nope","anonymousId":"a"}]}',
      400,
      'Bad request: segment: batch[1].type "nope" is not a Segment message type',
    ],
    [
      '/v1/batch',
      JSON.stringify({ batch: Array.from({ length: 4 }, () => ({ type: 'track', anonymousId: 'a', event: 'e' })) }),
      413,
      'Request body too large: segment: batch has 4 events, more than the limit of 3 per request',
    ],
    ['/v1/t', '{"a":' + '['.repeat(40) + ']'.repeat(40) + '}', 413, 'JSON document past a limit: segment: '],
    [
      '/v1/t',
      '{"anonymousId":"a","event":"x"}',
      415,
      'Unsupported media type: segment: accepts application/json or text/plain or application/x-www-form-urlencoded, ' +
        'not text/html',
      { 'Content-Type': 'text/html' },
    ],
    [
      '/v1/t',
      Buffer.from('not gzip'),
      400,
      'Bad request: segment: the body is not valid gzip',
      { 'Content-Encoding': 'gzip' },
    ],
    [
      '/v1/t',
      '{"anonymousId":"a","event":"x"}',
      415,
      'Unsupported media type: segment: Content-Encoding br is not supported',
      { 'Content-Encoding': 'br' },
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
    const get = await fetch(`${server.url}/v1/t`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST, OPTIONS');
    assert.equal(server.collector.context.dispatcher.received, 0, 'nothing of a refused request is queued');

    // gzip is accepted (Content-Encoding), as is application/json
    const gz = await post(server, '/v1/track', gzipSync('{"anonymousId":"a","event":"zipped"}'), {
      'Content-Encoding': 'gzip',
      'Content-Type': 'application/json',
    });
    assert.equal(gz.status, 200);
    assert.deepEqual(await gz.json(), { success: true });
  } finally {
    await server.stop();
  }
  assert.deepEqual(
    readAllRows(server.root).map((r) => r.type),
    ['zipped'],
  );
  removeDir(server.root);
});

test(
  'segment: inputs.segment.writeKeys refuses other write keys with ' +
    '403; /v1/m is answered, counted, not stored; CORS',
  async () => {
    const server = await startTestServer({ 'inputs.segment.writeKeys': 'good-key,other' });
    try {
      const basic = (key: string): string => 'Basic ' + Buffer.from(`${key}:`).toString('base64');
      const ok = await post(server, '/v1/p', '{"anonymousId":"a"}', { Authorization: basic('good-key') });
      assert.equal(ok.status, 200);
      const inBody = await post(server, '/v1/p', '{"anonymousId":"a","writeKey":"other"}');
      assert.equal(inBody.status, 200);
      const foreign = await post(server, '/v1/p', '{"anonymousId":"a"}', { Authorization: basic('stolen') });
      assert.equal(foreign.status, 403);
      assert.equal(await foreign.text(), 'Forbidden: segment: "stolen" is not in inputs.segment.writeKeys');
      const none = await post(server, '/v1/p', '{"anonymousId":"a"}');
      assert.equal(none.status, 403);
      assert.match(await none.text(), /names no site/);

      const telemetry = await post(server, '/v1/m', '{"series":[]}');
      assert.equal(telemetry.status, 200);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /wt1_input_ignored_total\{input="segment"\} 1/);
      assert.match(metrics, /wt1_input_events_total\{input="segment"\} 2/);
      assert.match(metrics, /wt1_input_requests_total\{input="segment",outcome="refused"\} 2/);

      const preflight = await fetch(`${server.url}/v1/t`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://site.example',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization',
        },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
      assert.equal(preflight.headers.get('access-control-allow-methods'), 'POST, OPTIONS');
      assert.match(preflight.headers.get('access-control-allow-headers')!, /authorization/);
      assert.match(preflight.headers.get('access-control-allow-headers')!, /anonymousid/);
      assert.equal(preflight.headers.get('access-control-max-age'), '86400');
    } finally {
      await server.stop();
    }
    assert.equal(readAllRows(server.root).length, 2);
    removeDir(server.root);
  },
);

test('rudderstack: sendBeacon batches with ?writeKey= and the source config with no destinations', async () => {
  const server = await startTestServer({ 'inputs.rudderstack.writeKeys': 'rs-key' });
  try {
    const config = await fetch(
      `${server.url}/sourceConfig/?p=npm&v=3.0.0&build=modern&writeKey=rs-key&lockIntegrationsVersion=false`,
    );
    assert.equal(config.status, 200);
    const body = (await config.json()) as { source: { writeKey: string; enabled: boolean; destinations: unknown[] } };
    assert.equal(body.source.writeKey, 'rs-key');
    assert.equal(body.source.enabled, true);
    assert.deepEqual(body.source.destinations, []);
    const beacon = await post(
      server,
      '/beacon/v1/batch?writeKey=rs-key',
      JSON.stringify({
        batch: [
          {
            type: 'page',
            anonymousId: 'rs-anon',
            properties: { url: 'https://site.example/p', referrer: '$direct' },
            context: {
              sessionId: 1764750000000,
              screen: { width: 1280, height: 800, innerWidth: 1200, innerHeight: 700 },
              locale: 'en-GB',
            },
            originalTimestamp: '2026-12-03T10:00:00.000Z',
          },
          {
            type: 'track',
            event: 'Play',
            anonymousId: 'rs-anon',
            properties: { song: 'x' },
            context: { sessionId: 1764750000000 },
          },
        ],
        sentAt: '2026-12-03T10:00:01.000Z',
      }),
    );
    assert.equal(beacon.status, 200);
    const foreign = await post(server, '/beacon/v1/batch?writeKey=nope', '{"batch":[]}');
    assert.equal(foreign.status, 403);
  } finally {
    await server.stop();
  }
  const rows = readAllRows(server.root);
  assert.deepEqual(
    rows.map((r) => r.type),
    ['page', 'Play'],
  );
  assert.equal(rows[0].session_id, '1764750000000');
  assert.deepEqual(
    [rows[0].br_width, rows[0].br_height, rows[0].sc_width, rows[0].sc_height],
    ['1200', '700', '1280', '800'],
  );
  assert.equal(rows[0].client_ts, '2026-12-03T10:00:00.000');
  assert.equal(new URLSearchParams(rows[1].event_params!).get('_input'), 'rudderstack');
  removeDir(server.root);
});

test(
  'segment fuzz: any JSON body gets 200 or a 4xx naming the input, ' + 'never a 5xx, and a refused one queues nothing',
  async () => {
    const server = await startTestServer({ 'api.maxEvents': 5, 'api.maxFieldLength': 200 });
    const message = fc.record(
      {
        type: fc.oneof(
          fc.constantFrom('track', 'page', 'identify', 'group', 'alias', 'screen', 'bogus'),
          fc.anything(),
        ),
        event: fc.oneof(fc.string(), fc.anything()),
        anonymousId: fc.oneof(fc.string(), fc.integer(), fc.anything()),
        userId: fc.option(fc.string()),
        properties: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.anything()),
        context: fc.oneof(
          fc.record({ page: fc.anything(), screen: fc.anything(), userAgent: fc.anything() }),
          fc.anything(),
        ),
        timestamp: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.anything(),
        ),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(message, fc.record({ batch: fc.array(message, { maxLength: 7 }) }), fc.jsonValue());
    try {
      await fc.assert(
        fc.asyncProperty(body, fc.constantFrom('/v1/t', '/v1/batch', '/v1/p'), async (value, path) => {
          const before = server.collector.context.dispatcher.received;
          const res = await post(server, path, JSON.stringify(value) ?? 'undefined');
          const text = await res.text();
          if (res.status === 200) return;
          assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${text}`);
          assert.match(text, /segment/);
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
