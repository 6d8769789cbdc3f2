import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { startTestServer, removeDir } from '../helpers/server.js';
import { readAllRows, type Row } from '../helpers/files.js';

const MatomoTracker = createRequire(import.meta.url)('matomo-tracker') as new (
  siteId: number,
  url: string,
) => {
  track(options: Record<string, unknown>): void;
  trackBulk(events: Array<Record<string, unknown>>, callback?: (body: string) => void): void;
  on(event: 'error', listener: (error: unknown) => void): void;
};

const params = (row: Row, column: 'event_params' | 'visitor_params' = 'event_params'): Record<string, string> =>
  Object.fromEntries(new URLSearchParams(row[column] ?? ''));

test(
  'matomo-tracker (Node): page views, an event with a custom ' + 'dimension, and a bulk request land as one line each',
  async () => {
    const server = await startTestServer({ 'inputs.matomo.sites': '7' });
    const errors: unknown[] = [];
    try {
      const tracker = new MatomoTracker(7, `${server.url}/matomo.php`);
      tracker.on('error', (e) => errors.push(e));
      tracker.track({
        url: 'https://site.example/home',
        action_name: 'Home',
        urlref: 'https://search.example/',
        _id: '0123456789abcdef',
        ua: 'App/2.0',
        lang: 'fr-FR',
        res: '1920x1080',
        uid: 'user-1',
        cdt: '1764756000',
      });
      tracker.track({
        url: 'https://site.example/video',
        e_c: 'Video',
        e_a: 'Play',
        e_n: 'intro',
        e_v: 3,
        _id: '0123456789abcdef',
        dimension1: 'blue',
      });
      const bulk = await new Promise<string>((resolve) =>
        tracker.trackBulk(
          [
            { url: 'https://site.example/b1', action_name: 'B1', _id: '0123456789abcdef' },
            { url: 'https://site.example/b2', _id: '0123456789abcdef', search: 'shoes' },
          ],
          resolve,
        ),
      );
      assert.deepEqual(JSON.parse(bulk), { status: 'success', tracked: 2, invalid: 0 });
      const deadline = Date.now() + 10_000;
      while (server.collector.context.dispatcher.received < 4 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const piwik = await fetch(`${server.url}/piwik.php?idsite=7&rec=1&url=https%3A%2F%2Fsite.example%2Fold`);
      assert.equal(piwik.status, 204);
      const foreign = await fetch(`${server.url}/matomo.php?idsite=8&rec=1&url=x`);
      assert.equal(foreign.status, 403);
    } finally {
      await server.stop();
    }
    assert.deepEqual(errors, []);
    const rows = readAllRows(server.root).sort((a, b) => (a.location ?? '').localeCompare(b.location ?? ''));
    assert.deepEqual(
      rows.map((r) => [r.location, r.type]),
      [
        ['https://site.example/b1', 'page'],
        ['https://site.example/b2', 'search'],
        ['https://site.example/home', 'page'],
        ['https://site.example/old', 'page'],
        ['https://site.example/video', 'Play'],
      ],
    );
    const home = rows[2];
    assert.equal(home.referer, 'https://search.example/');
    assert.equal(home['user-agent'], 'App/2.0', 'the ua param: the client sends no User-Agent header');
    assert.equal(home.br_lang, 'fr-FR');
    assert.deepEqual([home.sc_width, home.sc_height], ['1920', '1080']);
    assert.equal(home.client_ts, '2025-12-03T10:00:00.000');
    assert.equal(home.visitor_id, '0123456789abcdef');
    assert.deepEqual(params(home, 'visitor_params'), { userId: 'user-1' });
    assert.deepEqual(params(home), { action_name: 'Home', _input: 'matomo', _site: '7' });
    assert.deepEqual(params(rows[4]), {
      e_c: 'Video',
      e_a: 'Play',
      e_n: 'intro',
      e_v: '3',
      dimension1: 'blue',
      _input: 'matomo',
      _site: '7',
    });
    assert.equal(params(rows[1]).search, 'shoes');
    for (const row of rows.slice(0, 3)) assert.equal(row.visitor_id, '0123456789abcdef');
    removeDir(server.root);
  },
);

test('matomo: refusals name the input and the field; fuzz never gives a 5xx nor queues a refused request', async () => {
  const server = await startTestServer();
  try {
    for (const [url, init, message] of [
      ['/matomo.php?rec=1&url=x', undefined, 'Bad request: matomo: the hit: idsite is required'],
      [
        '/matomo.php',
        { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"requests":"?idsite=1"}' },
        'Bad request: matomo: requests must be an array (bulk tracking)',
      ],
      [
        '/matomo.php',
        { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"requests":["?idsite=1",5]}' },
        'Bad request: matomo: requests[1] must be a query string',
      ],
      ['/matomo.php?idsite=1&cdt=yesterday', undefined, 'Bad request: matomo: the hit.cdt is not a date: "yesterday"'],
    ] as const) {
      const res = await fetch(`${server.url}${url}`, init);
      assert.equal(res.status, 400);
      assert.equal(await res.text(), message);
    }
    assert.equal(server.collector.context.dispatcher.received, 0);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc
            .record({ requests: fc.array(fc.oneof(fc.string(), fc.anything()), { maxLength: 5 }) })
            .map((v) => JSON.stringify(v)),
        ),
        async (body) => {
          const before = server.collector.context.dispatcher.received;
          const res = await fetch(`${server.url}/matomo.php`, {
            method: 'POST',
            headers: { 'Content-Type': 'text/plain' },
            body,
          });
          const text = await res.text();
          if (res.status === 200 || res.status === 204) return;
          assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${text}`);
          assert.match(text, /matomo/);
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
