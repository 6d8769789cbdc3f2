import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { gzipSync } from 'node:zlib';
import { startTestServer, removeDir } from '../helpers/server.js';
import { readAllRows } from '../helpers/files.js';

// /public/events: body timeouts, the in-flight budget, Expect: 100-continue and CORS. The message
// formats and their errors: events-api.test.ts.
test('a client that stalls mid-body is timed out with 408 (plain, small gzip, streamed gzip)', async () => {
  const server = await startTestServer({ 'api.bodyTimeout': 0.3 });
  const gzipped = gzipSync('{"events":[{}]}');
  const stalls: Array<[string, Buffer]> = [
    ['Content-Type: application/json\r\nContent-Length: 100', Buffer.from('{"events":')],
    ['Content-Type: application/gzip\r\nContent-Length: 100', gzipped.subarray(0, 10)],
    [
      'Content-Type: application/gzip\r\nTransfer-Encoding: chunked',
      Buffer.concat([Buffer.from('a\r\n'), gzipped.subarray(0, 10), Buffer.from('\r\n')]),
    ],
  ];
  try {
    for (const [headers, partial] of stalls) {
      const socket = connect(server.port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write(`POST /public/events HTTP/1.1\r\nHost: x\r\n${headers}\r\n\r\n`);
      socket.write(partial);
      let answer = '';
      socket.on('data', (c: Buffer) => {
        answer += c.toString();
      });
      await once(socket, 'close');
      assert.match(answer, /^HTTP\/1\.1 408 /, headers);
      assert.match(answer, /X-WT1-Error: WT1_ERR_BODY_TIMEOUT/i);
      assert.ok(answer.endsWith('Request body timed out: the body was not received within 0.3 s'), answer);
    }
    assert.equal(server.collector.context.dispatcher.received, 0);
  } finally {
    await server.stop();
  }
  removeDir(server.root);
});

test(
  'bodies read at once share api.maxInFlightBytes: the one past it gets 503 ' +
    'with Retry-After; alone, any body within its limits passes',
  async () => {
    const server = await startTestServer({ 'api.maxInFlightBytes': 100_000 });
    // JSON allows trailing blanks
    const message = (padding: number): string => '{"events":[{"type":"page"}]}' + ' '.repeat(padding);
    const post = (body: string) =>
      fetch(`${server.url}/public/events`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    try {
      // A slow sender holds 80 000 bytes of its body...
      const slow = message(199_972);
      const socket = connect(server.port, '127.0.0.1');
      await once(socket, 'connect');
      let answer = '';
      socket.on('data', (c: Buffer) => {
        answer += c.toString();
      });
      socket.write(
        `POST /public/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ` +
          `${slow.length}\r\nConnection: close\r\n\r\n`,
      );
      socket.write(slow.slice(0, 80_000));
      await new Promise((r) => setTimeout(r, 100));
      // ...so a 50 000-byte body now would pass the 100 000 bytes of the budget.
      const refused = await post(message(50_000));
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.equal(refused.headers.get('x-wt1-error'), 'WT1_ERR_OVERLOADED');
      assert.match(
        await refused.text(),
        /^Overloaded: request bodies being read at once passed api\.maxInFlightBytes \(100000 bytes\); retry shortly$/,
      );
      // The slow one (200 000 bytes, more than the whole budget) is alone once the other is refused: it passes.
      socket.end(slow.slice(80_000));
      await once(socket, 'close');
      assert.match(answer, /^HTTP\/1\.1 200 /);
      // Everything was released: the same 50 000 bytes now pass.
      const accepted = await post(message(50_000));
      assert.equal(accepted.status, 200);
      assert.deepEqual(await accepted.json(), { accepted: 1 });
    } finally {
      await server.stop();
    }
    assert.equal(readAllRows(server.root).length, 2);
    removeDir(server.root);
  },
);

test(
  'Expect: 100-continue: a body declared over the limit is refused ' + 'before it is sent; one within it is asked for',
  async () => {
    const server = await startTestServer();
    const exchange = async (path: string, length: number, body?: string): Promise<string> => {
      const socket = connect(server.port, '127.0.0.1');
      await once(socket, 'connect');
      let answer = '';
      socket.on('data', (c: Buffer) => {
        answer += c.toString();
        if (body !== undefined && answer.startsWith('HTTP/1.1 100 Continue\r\n\r\n') && !socket.writableEnded)
          socket.end(body);
      });
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\nExpect: ` +
          `100-continue\r\nConnection: close\r\n\r\n`,
      );
      await once(socket, 'close');
      return answer;
    };
    try {
      const refused = await exchange('/public/events', 5_000_000);
      assert.match(refused, /^HTTP\/1\.1 413 /, 'no 100 Continue first');
      assert.match(refused, /Request body too large: the body is larger than the limit of 1048576 bytes$/);
      assert.match(await exchange('/public/p.gif', 100_000), /^HTTP\/1\.1 413 /);
      const body = '{"events":[{"type":"page"}]}';
      const accepted = await exchange('/public/events', body.length, body);
      assert.match(accepted, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    } finally {
      await server.stop();
    }
    assert.equal(readAllRows(server.root).length, 1);
    removeDir(server.root);
  },
);

test('CORS: any origin by default; with a list, only listed origins get the allow headers', async () => {
  const open = await startTestServer();
  const closed = await startTestServer({ 'api.corsOrigins': 'https://app.example, https://m.example' });
  const preflight = (url: string, origin: string): Promise<Response> =>
    fetch(`${url}/public/events`, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
  try {
    const any = await preflight(open.url, 'https://elsewhere.example');
    assert.equal(any.status, 204);
    assert.equal(any.headers.get('access-control-allow-origin'), '*');
    assert.equal(any.headers.get('access-control-allow-methods'), 'POST, OPTIONS');
    assert.equal(any.headers.get('access-control-allow-headers'), 'Content-Type, Content-Encoding');

    const listed = await preflight(closed.url, 'https://m.example');
    assert.equal(listed.status, 204);
    assert.equal(listed.headers.get('access-control-allow-origin'), 'https://m.example');
    assert.equal(listed.headers.get('vary'), 'Origin');

    const other = await preflight(closed.url, 'https://evil.example');
    assert.equal(other.status, 204);
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    assert.equal(other.headers.get('access-control-allow-methods'), null);

    const post = await fetch(`${closed.url}/public/events`, {
      method: 'POST',
      headers: { Origin: 'https://app.example', 'Content-Type': 'application/json' },
      body: '{"events":[{}]}',
    });
    assert.equal(post.status, 200);
    assert.equal(post.headers.get('access-control-allow-origin'), 'https://app.example');
    const refused = await fetch(`${closed.url}/public/events`, {
      method: 'POST',
      headers: { Origin: 'https://app.example', 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(refused.status, 400);
    assert.equal(
      refused.headers.get('access-control-allow-origin'),
      'https://app.example',
      'error answers are readable by allowed origins',
    );
  } finally {
    await open.stop();
    await closed.stop();
  }
  removeDir(open.root);
  removeDir(closed.root);
});
