import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, removeDir } from '../helpers/server.js';
import { readAllRows } from '../helpers/files.js';

test(
  'jitsu: /api/s/{type} and /api/s/s2s/{type} with X-Write-Key, ' + 'answered {}; allow-list; refusals name the input',
  async () => {
    const server = await startTestServer({ 'inputs.jitsu.writeKeys': 'js-key' });
    const post = (path: string, body: string, key = 'js-key'): Promise<Response> =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Write-Key': key },
        body,
      });
    try {
      const page = await post(
        '/api/s/page',
        JSON.stringify({
          type: 'page',
          anonymousId: 'j-anon',
          properties: { url: 'https://site.example/j', referrer: 'https://r.example/', title: 'J' },
          context: { locale: 'en-US', userAgent: 'UA/J' },
          messageId: 'm1',
          timestamp: '2026-12-03T10:00:00.000Z',
        }),
      );
      assert.deepEqual([page.status, await page.json()], [200, {}]);
      const s2s = await post(
        '/api/s/s2s/track',
        JSON.stringify({ event: 'Signed Up', userId: 'u1', anonymousId: 'j-anon', properties: { plan: 'pro' } }),
      );
      assert.equal(s2s.status, 200);
      assert.equal((await post('/api/s/track', '{"event":"x","anonymousId":"a"}', 'stolen')).status, 403);
      const badType = await post('/api/s/nope', '{}');
      assert.equal(badType.status, 400);
      assert.equal(
        await badType.text(),
        'Bad request: jitsu: the path\'s event type "nope" is not one of track, page, screen, identify, group, alias',
      );
      const badBody = await post('/api/s/track', '{"anonymousId":"a"}');
      assert.equal(await badBody.text(), 'Bad request: jitsu: the event.event is required in a track message');
    } finally {
      await server.stop();
    }
    const rows = readAllRows(server.root);
    assert.deepEqual(
      rows.map((r) => [r.type, r.visitor_id, r.location]),
      [
        ['page', 'j-anon', 'https://site.example/j'],
        ['Signed Up', 'j-anon', null],
      ],
    );
    const p = new URLSearchParams(rows[0].event_params!);
    assert.equal(p.get('_input'), 'jitsu');
    assert.equal(p.get('_site'), 'js-key');
    assert.equal(rows[0]['user-agent'], 'UA/J');
    assert.equal(new URLSearchParams(rows[1].visitor_params!).get('userId'), 'u1');
    removeDir(server.root);
  },
);

test(
  'jitsu fuzz: any JSON body on any type gets 200 or a 4xx naming ' + 'the input, and a refused one queues nothing',
  async () => {
    const { default: fc } = await import('fast-check');
    const server = await startTestServer();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('track', 'page', 's2s/identify', 'x'),
          fc.oneof(
            fc.record(
              {
                event: fc.anything(),
                anonymousId: fc.anything(),
                userId: fc.anything(),
                properties: fc.anything(),
                context: fc.anything(),
              },
              { requiredKeys: [] },
            ),
            fc.jsonValue(),
          ),
          async (type, value) => {
            const before = server.collector.context.dispatcher.received;
            const res = await fetch(`${server.url}/api/s/${type}`, {
              method: 'POST',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify(value) ?? 'null',
            });
            const text = await res.text();
            if (res.status === 200) return;
            assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${text}`);
            assert.match(text, /jitsu/);
            assert.equal(server.collector.context.dispatcher.received, before);
          },
        ),
        { numRuns: 200 },
      );
    } finally {
      await server.stop();
      removeDir(server.root);
    }
  },
);
