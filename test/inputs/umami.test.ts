import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Umami } from '@umami/node';
import { startTestServer, removeDir } from '../helpers/server.js';
import { readAllRows, type Row } from '../helpers/files.js';

const params = (row: Row, column: 'event_params' | 'visitor_params' = 'event_params'): Record<string, string> =>
  Object.fromEntries(new URLSearchParams(row[column] ?? ''));

test(
  '@umami/node: a view, a custom event with data and an identify ' + 'land as one line each, one hashed visitor',
  async () => {
    const server = await startTestServer({ visitorIdSalt: 'salt', 'inputs.umami.websites': 'w-123' });
    try {
      const client = new Umami({ websiteId: 'w-123', hostUrl: server.url });
      const view = await client.track({
        url: '/home?x=1',
        title: 'Home',
        referrer: 'https://search.example/',
        hostname: 'site.example',
        language: 'fr-FR',
        screen: '1920x1080',
      });
      assert.equal(view.status, 200);
      await client.track({
        url: '/pricing',
        hostname: 'site.example',
        name: 'Signup',
        data: { plan: 'pro', seats: 3, nested: { a: true } },
      });
      await client.identify({ email: 'a@b.example' });
      const foreign = await new Umami({ websiteId: 'other', hostUrl: server.url }).track({ url: '/' });
      assert.equal(foreign.status, 403);
    } finally {
      await server.stop();
    }
    const rows = readAllRows(server.root);
    assert.deepEqual(
      rows.map((r) => r.type),
      ['page', 'Signup', 'identify'],
    );
    const [view, signup, identify] = rows;
    assert.equal(view.location, '/home?x=1');
    assert.equal(view.referer, 'https://search.example/');
    assert.equal(view.br_lang, 'fr-FR');
    assert.deepEqual([view.sc_width, view.sc_height], ['1920', '1080']);
    assert.deepEqual(params(view), { title: 'Home', hostname: 'site.example', _input: 'umami', _site: 'w-123' });
    assert.deepEqual(params(signup), {
      plan: 'pro',
      seats: '3',
      'nested.a': 'true',
      hostname: 'site.example',
      _input: 'umami',
      _site: 'w-123',
    });
    assert.deepEqual(params(identify, 'visitor_params'), { email: 'a@b.example' });
    assert.equal(new Set(rows.map((r) => r.visitor_id)).size, 1);
    assert.match(view.visitor_id!, /^[0-9a-f]{32}$/);
    assert.match(view['user-agent']!, /Umami/);
    removeDir(server.root);
  },
);

test('umami: refusals name the input and the field; fuzz never gives a 5xx nor queues a refused body', async () => {
  const server = await startTestServer();
  const post = (body: string): Promise<Response> =>
    fetch(`${server.url}/api/send`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  try {
    for (const [body, message] of [
      ['{"type":"view","payload":{}}', 'Bad request: umami: type must be "event" or "identify", not "view"'],
      ['{"type":"event"}', 'Bad request: umami: payload is missing'],
      ['{"type":"event","payload":{"url":"/"}}', 'Bad request: umami: payload.website is required'],
      ['{"type":"event","payload":{"website":"w","data":[1]}}', 'Bad request: umami: payload.data must be an object'],
      ['{"type":"event","payload":{"website":"w","url":5}}', 'Bad request: umami: payload.url must be a string'],
    ] as const) {
      const res = await post(body);
      assert.equal(res.status, 400);
      assert.equal(await res.text(), message);
    }
    assert.equal(server.collector.context.dispatcher.received, 0);
    const payload = fc.record(
      {
        website: fc.oneof(fc.string(), fc.anything()),
        url: fc.anything(),
        name: fc.anything(),
        data: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.anything()),
        screen: fc.anything(),
        id: fc.anything(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.record({ type: fc.constantFrom('event', 'identify', 'x'), payload }), fc.jsonValue()),
        async (value) => {
          const before = server.collector.context.dispatcher.received;
          const res = await post(JSON.stringify(value) ?? 'null');
          const text = await res.text();
          if (res.status === 200) return;
          assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${text}`);
          assert.match(text, /umami/);
          assert.equal(server.collector.context.dispatcher.received, before);
        },
      ),
      { numRuns: 300 },
    );
  } finally {
    await server.stop();
    removeDir(server.root);
  }
});
