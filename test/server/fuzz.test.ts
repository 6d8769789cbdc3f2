import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestServer, removeDir } from '../helpers/server.js';
import { publishedFiles, readAllRows, readLogFile } from '../helpers/files.js';
import { rawRequest } from '../helpers/raw-http.js';

const bytes = (max: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
/** Mostly printable, with every kind of hostile byte mixed in. */
const hostile = (max: number): fc.Arbitrary<Buffer> =>
  fc.oneof(
    bytes(max),
    fc
      .array(fc.constantFrom(...'%+=&;"\\\t\n\r #?é\u0000\u00ff/.ab%zz%C3%E9__wt1ty=__wt1vic='.split('')), {
        maxLength: max,
      })
      .map((a) => Buffer.from(a.join(''), 'latin1')),
    fc.string({ maxLength: max }).map((s) => Buffer.from(s)),
  );

const PIXEL_PATHS = ['/public/p.gif', '/wt1/public/p.gif'];

/** Random bytes made valid in a URL: unsafe ones percent-encoded, with malformed escapes sprinkled. */
const urlSafe = (max: number): fc.Arbitrary<Buffer> =>
  fc
    .array(
      fc.oneof(
        {
          weight: 6,
          arbitrary: fc
            .integer({ min: 0, max: 255 })
            .map((b) =>
              b > 0x20 && b < 0x7f && b !== 0x23 ? String.fromCharCode(b) : '%' + b.toString(16).padStart(2, '0'),
            ),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            '%',
            '%z',
            '%C3',
            '%E9',
            '+',
            '&',
            '=',
            '__wt1vic=',
            '__wt1ty=',
            '__wt1zz=',
            '&k=',
          ),
        },
      ),
      { maxLength: max },
    )
    .map((a) => Buffer.from(a.join(''), 'latin1'));

/** Random bytes a header value may hold (obs-text included), sometimes anything at all. */
const headerValue = (max: number): fc.Arbitrary<Buffer> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: bytes(max).map((b) => Buffer.from(b.filter((x) => x === 0x09 || (x >= 0x20 && x !== 0x7f)))),
    },
    { weight: 1, arbitrary: hostile(max) },
  );

const request = fc.record({
  method: fc.constantFrom('GET', 'POST'),
  path: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...PIXEL_PATHS) },
    { weight: 1, arbitrary: fc.constant('/public/nothing') },
    { weight: 1, arbitrary: bytes(20).map((b) => Buffer.concat([Buffer.from('/'), b]).toString('latin1')) },
  ),
  query: fc.oneof({ weight: 4, arbitrary: urlSafe(300) }, { weight: 1, arbitrary: hostile(300) }),
  contentType: fc.constantFrom('application/x-www-form-urlencoded', 'text/plain', '', 'application/json'),
  body: fc.oneof(urlSafe(400), hostile(400)),
  referer: headerValue(200),
  userAgent: headerValue(200),
  cookie: headerValue(200),
  forwardedFor: headerValue(60),
});

type FuzzRequest = typeof request extends fc.Arbitrary<infer T> ? T : never;

function encode(r: FuzzRequest): Buffer {
  const head: Buffer[] = [
    Buffer.from(`${r.method} ${r.path}?`, 'latin1'),
    r.query,
    Buffer.from(' HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n'),
  ];
  const header = (name: string, value: Buffer): void => {
    head.push(Buffer.from(`${name}: `), value, Buffer.from('\r\n'));
  };
  header('Referer', r.referer);
  header('User-Agent', r.userAgent);
  header('Cookie', r.cookie);
  header('X-Forwarded-For', r.forwardedFor);
  if (r.method === 'POST') {
    if (r.contentType) header('Content-Type', Buffer.from(r.contentType));
    header('Content-Length', Buffer.from(String(r.body.length)));
  }
  head.push(Buffer.from('\r\n'));
  if (r.method === 'POST') head.push(r.body);
  return Buffer.concat(head);
}

test('fuzz: random bytes in path, query, body, headers and cookies: no crash, no hang, no malformed line', async () => {
  const server = await startTestServer({ maxQueueSize: 100_000 });
  let tracked = 0;
  const statuses = new Map<number, number>();
  try {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const { status, timedOut } = await rawRequest(server.port, encode(r), 5000);
        assert.equal(timedOut, false, 'the server answered (or closed) within 5 s');
        assert.ok(status >= 200 && status < 500, `status ${status}`);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 200 && PIXEL_PATHS.includes(r.path)) tracked++;
        // Still alive and well after each request.
        const alive = await fetch(`${server.url}/isAlive`);
        assert.equal(alive.status, 200);
        await alive.text();
      }),
      { numRuns: 250 },
    );
  } finally {
    await server.stop();
  }
  assert.ok(tracked > 50, `enough requests got through to test the writing: ${JSON.stringify([...statuses])}`);
  assert.ok((statuses.get(400) ?? 0) > 0, 'some requests were malformed at the HTTP level');
  for (const f of publishedFiles(server.root)) {
    const { header, lines } = readLogFile(f);
    for (const line of lines) assert.equal(line.split('\t').length, header.length, JSON.stringify(line));
  }
  const rows = readAllRows(server.root); // also checks quoting of every field
  assert.equal(rows.length, tracked, 'one line per tracked pixel');
  for (const row of rows) for (const key of Object.keys(row)) assert.ok(!key.startsWith('__wt1'));
  for (const row of rows) {
    if (row.event_params) for (const part of row.event_params.split('&')) assert.ok(!part.startsWith('__wt1'), part);
  }
  removeDir(server.root);
});
