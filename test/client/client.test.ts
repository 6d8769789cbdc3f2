import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, endpointOf, type ClientLogger } from '../../src/client/index.js';
import { startTestServer, tempDir, removeDir } from '../helpers/server.js';
import { freePort, spawnWt1, stopWt1, type Wt1Process } from '../helpers/process.js';
import { readAllRows } from '../helpers/files.js';

function recordingLogger(): ClientLogger & { warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    warnings,
    errors,
    warn: (m) => {
      warnings.push(m);
    },
    error: (m) => {
      errors.push(m);
    },
  };
}

test('endpointOf accepts a base URL, a context path or the full endpoint', () => {
  assert.equal(endpointOf('http://127.0.0.1:8080'), 'http://127.0.0.1:8080/public/events');
  assert.equal(endpointOf('https://t.example/wt1/'), 'https://t.example/wt1/public/events');
  assert.equal(endpointOf('https://t.example/public/events'), 'https://t.example/public/events');
  assert.equal(endpointOf('https://t.example/public/events/'), 'https://t.example/public/events');
  assert.equal(endpointOf('https://t.example/wt1/public/events//'), 'https://t.example/wt1/public/events');
});

test(
  'every event tracked before close() lands exactly once when the ' + 'server is stopped and restarted mid-stream',
  async () => {
    const dir = tempDir();
    const env = { WT1_STORAGE__PARAMS__ROOT_DIR: path.join(dir, 'data'), WT1_LOG_LEVEL: 'warn' };
    const port = await freePort();
    let server: Wt1Process | undefined = await spawnWt1([], { port, env });
    const logger = recordingLogger();
    const client = createClient({
      url: server.url,
      visitorId: 'visitor-r',
      sessionId: 'session-r',
      ua: 'wt1-client-test',
      batchSize: 10,
      flushInterval: 20,
      initialRetryDelay: 50,
      maxRetryDelay: 300,
      maxRetries: 100,
      logger,
    });
    try {
      for (let i = 0; i < 300; i++) {
        client.track({ type: 'event', page: `app://screen/${i}`, params: { n: i, padding: 'x'.repeat(100) } });
        if (i === 100 && server) {
          const stopping: Wt1Process = server;
          server = undefined;
          assert.equal(await stopWt1(stopping), 0, stopping.output());
        }
        if (i === 200) server = await spawnWt1([], { port, env });
        await sleep(2);
      }
      const stats = await client.close();
      assert.deepEqual(
        { ...stats, retries: 0 },
        { tracked: 300, sent: 300, dropped: 0, rejected: 0, failed: 0, retries: 0, buffered: 0 },
      );
      assert.ok(stats.retries > 0, 'the client retried while the server was down');
      assert.ok(
        logger.warnings.some((w) => w.includes('ECONNREFUSED')),
        logger.warnings.join('\n'),
      );
      assert.deepEqual(logger.errors, []);
    } finally {
      if (server) assert.equal(await stopWt1(server), 0, server.output());
    }
    const rows = readAllRows(path.join(dir, 'data'));
    const seen = rows.map((r) => Number(/(?:^|&)n=(\d+)/.exec(r.event_params ?? '')?.[1]));
    assert.equal(rows.length, 300, `rows: ${rows.length}`);
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      Array.from({ length: 300 }, (_, i) => i),
    );
    const first = rows[seen.indexOf(0)];
    assert.equal(first.visitor_id, 'visitor-r');
    assert.equal(first.session_id, 'session-r');
    assert.equal(first['user-agent'], 'wt1-client-test');
    assert.equal(first.location, 'app://screen/0');
    assert.equal(first.type, 'event');
    assert.match(first.client_ts!, /^20\d\d-/);
    removeDir(dir);
  },
);

test('a 4xx is never retried and the server reason is logged', async () => {
  const server = await startTestServer({ 'api.maxFieldLength': 16 });
  const logger = recordingLogger();
  let requests = 0;
  const countingFetch: typeof fetch = (input, init) => {
    requests++;
    return fetch(input, init);
  };
  const client = createClient({ url: server.url, logger, fetch: countingFetch, initialRetryDelay: 10 });
  try {
    client.track({ page: 'https://site.example/a-very-long-page-url' });
    await client.flush();
    assert.equal(requests, 1);
    assert.deepEqual(client.stats(), {
      tracked: 1,
      sent: 0,
      dropped: 0,
      rejected: 1,
      failed: 0,
      retries: 0,
      buffered: 0,
    });
    assert.equal(logger.errors.length, 1);
    assert.match(
      logger.errors[0],
      /413 Request body too large: events\[0\]\.page is 41 characters long, more than the limit of 16$/,
    );
    assert.equal(server.collector.context.dispatcher.received, 0);
  } finally {
    await client.close();
    await server.stop();
  }
  removeDir(server.root);
});

test(
  '5xx answers are retried with the same body; large batches are ' + 'gzipped; objects and query strings as params',
  async () => {
    const bodies: Array<{ encoding: string | undefined; body: Buffer }> = [];
    let failuresLeft = 2;
    const fake = createServer(async (req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      bodies.push({ encoding: req.headers['content-encoding'], body: Buffer.concat(chunks) });
      if (failuresLeft-- > 0) {
        res.writeHead(503).end('busy');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"accepted":0}');
    });
    fake.listen(0, '127.0.0.1');
    await once(fake, 'listening');
    const logger = recordingLogger();
    const client = createClient({
      url: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`,
      batchSize: 50,
      flushInterval: 60_000,
      initialRetryDelay: 10,
      logger,
    });
    try {
      for (let i = 0; i < 50; i++)
        client.track({
          type: 'page',
          clientTS: 1700000000000 + i,
          page: `https://s.example/${i}`,
          params: i % 2 ? { i, q: 'a b' } : `i=${i}&raw=%2F`,
        });
      await client.flush();
      assert.equal(bodies.length, 3);
      assert.deepEqual(
        bodies.map((b) => b.encoding),
        ['gzip', 'gzip', 'gzip'],
      );
      assert.ok(bodies[1].body.equals(bodies[0].body) && bodies[2].body.equals(bodies[0].body));
      const message = JSON.parse(gunzipSync(bodies[0].body).toString('utf8'));
      assert.equal(message.events.length, 50);
      assert.deepEqual(message.events[0], {
        type: 'page',
        clientTS: 1700000000000,
        page: 'https://s.example/0',
        params: 'i=0&raw=%2F',
      });
      assert.equal(message.events[1].params, 'i=1&q=a+b');
      assert.equal(client.stats().retries, 2);
      assert.equal(client.stats().sent, 50);
      assert.equal(logger.warnings.length, 2);
      assert.match(logger.warnings[0], /503 busy/);

      // a small batch goes plain
      client.track({ type: 'event' });
      await client.flush();
      assert.equal(bodies.length, 4);
      assert.equal(bodies[3].encoding, undefined);
      assert.equal(JSON.parse(bodies[3].body.toString('utf8')).events.length, 1);
    } finally {
      await client.close();
      fake.close();
    }
  },
);

test('the buffer is bounded: the oldest events are dropped and counted, close() sends the rest', async () => {
  const server = await startTestServer();
  const client = createClient({
    url: server.url,
    maxBufferSize: 5,
    batchSize: 100,
    flushInterval: 60_000,
    logger: recordingLogger(),
  });
  try {
    for (let i = 0; i < 8; i++) client.track({ params: { n: i } });
    assert.equal(client.stats().buffered, 5);
    const stats = await client.close();
    assert.deepEqual(stats, { tracked: 8, sent: 5, dropped: 3, rejected: 0, failed: 0, retries: 0, buffered: 0 });
    client.track({ params: { n: 99 } });
    assert.equal(client.stats().dropped, 4, 'track() after close() is dropped and counted');
  } finally {
    await server.stop();
  }
  assert.deepEqual(
    readAllRows(server.root).map((r) => r.event_params),
    ['n=3', 'n=4', 'n=5', 'n=6', 'n=7'],
  );
  removeDir(server.root);
});

test('the bound counts the batch being retried: past it the oldest events go, from that batch first', async () => {
  const received: string[][] = [];
  let available = false;
  const fake = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (!available) {
      res.writeHead(503).end('down');
      return;
    }
    received.push(
      (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: Array<{ params: string }> }).events.map(
        (e) => e.params,
      ),
    );
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"accepted":0}');
  });
  fake.listen(0, '127.0.0.1');
  await once(fake, 'listening');
  const logger = recordingLogger();
  const client = createClient({
    url: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`,
    maxBufferSize: 5,
    batchSize: 3,
    flushInterval: 60_000,
    initialRetryDelay: 400,
    maxRetryDelay: 400,
    logger,
  });
  try {
    for (let i = 0; i < 3; i++) client.track({ params: { e: i } }); // a full batch: sent at once, refused (503)
    for (let i = 0; logger.warnings.length === 0; i++) {
      assert.ok(i < 200, 'the first attempt never failed');
      await sleep(5);
    }
    for (let i = 3; i < 10; i++) client.track({ params: { e: i } }); // while the batch waits for its retry
    assert.equal(client.stats().buffered, 5, 'never more than maxBufferSize held, the batch in flight included');
    assert.equal(client.stats().dropped, 5);
    available = true;
    const stats = await client.close();
    assert.deepEqual(stats, { tracked: 10, sent: 5, dropped: 5, rejected: 0, failed: 0, retries: 0, buffered: 0 });
  } finally {
    fake.close();
  }
  assert.deepEqual(
    received.flat(),
    ['e=5', 'e=6', 'e=7', 'e=8', 'e=9'],
    'the newest five arrive, the oldest were dropped',
  );
});

test('a batch is given up after maxRetries when the collector stays unreachable', async () => {
  const logger = recordingLogger();
  const client = createClient({
    url: `http://127.0.0.1:${await freePort()}`,
    maxRetries: 2,
    initialRetryDelay: 5,
    logger,
  });
  client.track({ type: 'page' });
  const stats = await client.close();
  assert.deepEqual(stats, { tracked: 1, sent: 0, dropped: 0, rejected: 0, failed: 1, retries: 2, buffered: 0 });
  assert.equal(logger.warnings.length, 2);
  assert.match(logger.errors[0], /1 events given up after 3 attempts: ECONNREFUSED/);
});

test('track() refuses a field of the wrong type at once, so one bad event cannot sink a batch', () => {
  const client = createClient({ url: 'http://127.0.0.1:9', logger: recordingLogger() });
  const bad = (input: unknown): void => client.track(input as Parameters<typeof client.track>[0]);
  assert.throws(() => bad({ clientTS: '1700000000000' }), /clientTS must be a finite number/);
  assert.throws(() => bad({ page: 42 }), /page must be a string, not number/);
  assert.throws(() => bad({ params: ['a'] }), /params must be an object or a query string/);
  // The server refuses these values, and with them the whole batch: refused here instead.
  assert.throws(
    () => bad({ params: { a: { b: 1 } } }),
    /params\.a must be a string, a finite number or a boolean, not an object/,
  );
  assert.throws(() => bad({ params: { a: [1, 2] } }), /params\.a must be .* not an array/);
  assert.throws(() => bad({ params: { a: Infinity } }), /params\.a must be .* not Infinity/);
  assert.throws(() => bad({ vparams: { plan: { tier: 1 } } }), /vparams\.plan must be/);
  assert.throws(() => bad(null), /takes an object/);
  assert.equal(client.stats().tracked, 0);
  assert.equal(client.stats().buffered, 0);
});
