import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startTestServer, removeDir, type TestServer } from '../helpers/server.js';
import { readAllRows, temporaryFiles } from '../helpers/files.js';
import { readTornGzip } from '../../src/storage/recovery.js';
import { StorageThread } from '../../src/storage-thread/storage-thread.js';
import type { HandlerDescriptor } from '../../src/handlers/handler.js';
import { withHandlers } from '../../src/handlers/registry.js';

// inputParsing=storageThread (issue 19): the same requests give the same answers and the same lines
// whether the inputs parse on the request thread or on the storage thread; the parsing really
// happens there; back-pressure still refuses a request whole.

interface Call {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

const json = { 'Content-Type': 'application/json' };
const CALLS: Call[] = [
  {
    method: 'POST',
    path: '/public/events',
    headers: { ...json, 'User-Agent': 'Agent/1' },
    body: '{"visitorId":"v1","events":[{"type":"page","page":"https://s.example/a","clientTS":1},{"type":"buy"}]}',
  },
  {
    method: 'POST',
    path: '/public/events',
    headers: { 'Content-Type': 'application/gzip' },
    body: gzipSync('{"visitorId":"v2","events":[{"type":"gz","params":{"a":"1"}}]}'),
  },
  { method: 'POST', path: '/public/events', headers: json, body: '{"events":[{},{"clientTS":"yesterday"}]}' },
  { method: 'POST', path: '/public/events', headers: json, body: '{"events":[' },
  {
    method: 'POST',
    path: '/v1/batch',
    headers: { 'Content-Type': 'text/plain', Authorization: `Basic ${Buffer.from('wk:').toString('base64')}` },
    body: JSON.stringify({
      batch: [
        { type: 'page', anonymousId: 'a1', name: 'Home', properties: { url: 'https://s.example/' } },
        { type: 'track', anonymousId: 'a1', event: 'Signup', properties: { plan: 'pro', seats: 3 } },
      ],
    }),
  },
  { method: 'POST', path: '/v1/t', headers: json, body: '{"anonymousId":"a"}' },
  {
    method: 'POST',
    path: '/api/event',
    headers: { 'Content-Type': 'text/plain', 'User-Agent': 'Mozilla/5.0 Test', 'X-Forwarded-For': '203.0.113.7' },
    body: '{"n":"pageview","u":"https://s.example/p","d":"s.example","r":null,"p":{"k":"v"}}',
  },
  {
    method: 'POST',
    path: '/api/send',
    headers: { ...json, 'User-Agent': 'Mozilla/5.0 Test' },
    body: '{"type":"event","payload":{"website":"w1","hostname":"s.example","url":"/x","name":"click","data":{"n":1}}}',
  },
  {
    method: 'POST',
    path: '/mp/collect?measurement_id=G-1&api_secret=s',
    headers: json,
    body: '{"client_id":"1.2","events":[{"name":"page_view","params":{"page_location":"https://s.example/g"}}]}',
  },
  { method: 'POST', path: '/debug/mp/collect?measurement_id=G-1&api_secret=s', headers: json, body: '{"events":[]}' },
  { method: 'GET', path: '/i?e=pv&url=https%3A%2F%2Fs.example%2Fsp&duid=d-1&tv=js-4&p=web&aid=app' },
  {
    method: 'POST',
    path: '/batch/',
    headers: json,
    body: JSON.stringify({
      api_key: 'k',
      batch: [{ event: '$pageview', distinct_id: 'u1', properties: { $current_url: 'https://s.example/ph' } }],
    }),
  },
];

async function send(server: TestServer, call: Call): Promise<Record<string, unknown>> {
  const res = await fetch(server.url + call.path, { method: call.method, headers: call.headers, body: call.body });
  const body = Buffer.from(await res.arrayBuffer());
  return {
    call: `${call.method} ${call.path}`,
    status: res.status,
    type: res.headers.get('content-type'),
    error: res.headers.get('x-wt1-error'),
    // The debug endpoint and the error texts are compared whole; a GIF by its bytes.
    body: body.toString('base64'),
  };
}

/** The lines, without the times of reception (and what derives from them), sorted. */
function linesOf(root: string): string[] {
  return readAllRows(root)
    .map((row) => {
      const { server_ts: _s, client_ts: _c, ...rest } = row as Record<string, unknown>;
      // Ids generated for messages without one are random on both sides.
      if (typeof rest.session_id === 'string' && /^Z[0-9a-f]{32}$/.test(rest.session_id)) rest.session_id = 'generated';
      return JSON.stringify(rest);
    })
    .sort();
}

test('inputParsing=storageThread: the same answers and lines as on the request thread, parsed there', async () => {
  const keys = { visitorIdSalt: 'salt', storageThread: true };
  const here = await startTestServer({ ...keys, inputParsing: 'requestThread' });
  const there = await startTestServer({ ...keys, inputParsing: 'storageThread' });
  const thread = there.collector.context.dispatcher.processors
    .map((p) => p.queue)
    .find((q) => q instanceof StorageThread);
  assert.ok(thread instanceof StorageThread);
  let offThread = 0;
  const parse = thread.parse.bind(thread);
  thread.parse = (job) => {
    const parsed = parse(job);
    if (parsed) offThread++;
    return parsed;
  };
  try {
    for (const call of CALLS) assert.deepEqual(await send(there, call), await send(here, call), call.path);
  } finally {
    await here.stop();
    await there.stop();
  }
  // Every request but the one refused before parsing (none here) went to the storage thread.
  assert.equal(offThread, CALLS.length);
  const lines = linesOf(there.root);
  assert.ok(lines.length >= 9, `${lines.length} lines`);
  assert.deepEqual(lines, linesOf(here.root));
  removeDir(here.root);
  removeDir(there.root);
});

/** A handler that holds every event it is given until `release`: its queue stays full meanwhile. */
function heldHandler(): { descriptor: HandlerDescriptor; release: () => void } {
  let release = (): void => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const descriptor: HandlerDescriptor = {
    name: 'held',
    wt1ClassNames: [],
    params: {},
    create: () => ({ process: () => gate }),
  };
  return { descriptor, release };
}

test('inputParsing=storageThread: a request the queues cannot take whole gets 503, nothing of it queued', async () => {
  const held = heldHandler();
  const server = await startTestServer(
    { inputParsing: 'storageThread', maxQueueSize: 5, 'handler.h.class': 'held' },
    { handlers: withHandlers(held.descriptor) },
  );
  const message = (n: number): string =>
    JSON.stringify({ visitorId: 'v', events: Array.from({ length: n }, () => ({})) });
  const post = (path: string, body: string): Promise<Response> =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: json, body });
  try {
    assert.deepEqual(await (await post('/public/events', message(4))).json(), { accepted: 4 });
    const refused = await post('/public/events', message(3));
    assert.equal(refused.status, 503, 'the held queue holds 4 of 5: 3 more do not fit');
    assert.equal(refused.headers.get('x-wt1-error'), 'WT1_ERR_OVERLOADED');
    assert.equal(refused.headers.get('retry-after'), '1');
    const batch = Array.from({ length: 2 }, () => ({ type: 'track', event: 'e', anonymousId: 'a' }));
    const segment = await post('/v1/batch', JSON.stringify({ writeKey: 'k', batch }));
    assert.equal(segment.status, 503);
    assert.match(await segment.text(), /^Overloaded: segment: .*nothing of it was queued/);
    assert.equal(server.collector.context.dispatcher.received, 4);
    held.release();
  } finally {
    await server.stop();
  }
  assert.equal(readAllRows(server.root).length, 4);
  removeDir(server.root);
});

test('inputParsing=storageThread with ackMode=durable: answered once the parsed events are on disk', async () => {
  // No rotation and no periodic flush: only the group commit can put lines on disk.
  const server = await startTestServer({
    ackMode: 'durable',
    inputParsing: 'storageThread',
    flushInterval: 3600,
    'storage.params.newFileTriggerInterval': 0,
  });
  try {
    const api = await fetch(`${server.url}/public/events`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ events: [{ params: 'n=api1' }, { params: 'n=api2' }] }),
    });
    assert.deepEqual(await api.json(), { accepted: 2 });
    const plausible = await fetch(`${server.url}/api/event`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({ n: 'pageview', u: 'https://site.example/n=plausible', d: 'site.example' }),
    });
    assert.equal(plausible.status, 202);
    const open = temporaryFiles(server.root);
    assert.equal(open.length, 1, 'one open file');
    const text = (await readTornGzip(open[0])).toString('utf8');
    for (const n of ['n=api1', 'n=api2', 'n=plausible']) assert.ok(text.includes(n), `${n} on disk:\n${text}`);
  } finally {
    await server.stop();
  }
  assert.equal(readAllRows(server.root).length, 3);
  removeDir(server.root);
});
