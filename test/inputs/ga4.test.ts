import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestServer, removeDir } from '../helpers/server.js';
import { readAllRows, type Row } from '../helpers/files.js';

const params = (row: Row, column: 'event_params' | 'visitor_params' = 'event_params'): Record<string, string> =>
  Object.fromEntries(new URLSearchParams(row[column] ?? ''));

// As Google documents it (developers.google.com/analytics/devguides/collection/protocol/ga4/sending-events):
// POST /mp/collect?measurement_id=G-XXXX&api_secret=SECRET with a JSON body.
test(
  'GA4 Measurement Protocol: a page_view and a custom event as Google ' +
    'documents the request; 204; debug endpoint validates',
  async () => {
    const server = await startTestServer({ 'inputs.ga4.measurementIds': 'G-TEST123' });
    const url = `${server.url}/mp/collect?measurement_id=G-TEST123&api_secret=s3cr3t`;
    try {
      const res = await fetch(url, {
        method: 'POST',
        body: JSON.stringify({
          client_id: '123456.7654321',
          user_id: 'user-42',
          timestamp_micros: 1764756000000000,
          user_properties: { plan: { value: 'pro' } },
          events: [
            {
              name: 'page_view',
              params: {
                page_location: 'https://site.example/a',
                page_referrer: 'https://search.example/',
                page_title: 'A',
                language: 'fr-fr',
                screen_resolution: '1920x1080',
                session_id: '1764756000',
                engagement_time_msec: 100,
              },
            },
            {
              name: 'purchase',
              params: {
                currency: 'EUR',
                value: 30.03,
                transaction_id: 'T_1',
                items: [{ item_id: 'SKU_1', price: 10.01, quantity: 3 }],
                session_id: '1764756000',
              },
            },
          ],
        }),
      });
      assert.equal(res.status, 204);
      const foreign = await fetch(`${server.url}/mp/collect?measurement_id=G-OTHER&api_secret=x`, {
        method: 'POST',
        body: '{"client_id":"1","events":[]}',
      });
      assert.equal(foreign.status, 403);
      const debugOk = await fetch(`${server.url}/debug/mp/collect?measurement_id=G-TEST123&api_secret=x`, {
        method: 'POST',
        body: '{"client_id":"1","events":[{"name":"x"}]}',
      });
      assert.deepEqual([debugOk.status, await debugOk.json()], [200, { validationMessages: [] }]);
      const debugBad = await fetch(`${server.url}/debug/mp/collect?measurement_id=G-TEST123&api_secret=x`, {
        method: 'POST',
        body: '{"client_id":"1","events":[{"params":{}}]}',
      });
      assert.equal(debugBad.status, 200);
      assert.deepEqual(await debugBad.json(), {
        validationMessages: [
          { fieldPath: 'events[0].name', description: 'events[0].name is required', validationCode: 'VALUE_INVALID' },
        ],
      });
      for (const [body, message] of [
        ['{"events":[]}', 'Bad request: ga4: client_id (or app_instance_id) is required'],
        ['{"client_id":"1","events":{}}', 'Bad request: ga4: events must be an array'],
        [
          '{"client_id":"1","events":[{"name":"x","params":[]}]}',
          'Bad request: ga4: events[0].params must be an object',
        ],
        [
          '{"client_id":"1","user_properties":{"a":1},"events":[]}',
          'Bad request: ga4: user_properties.a must be an object {"value": ...}',
        ],
      ] as const) {
        const bad = await fetch(url, { method: 'POST', body });
        assert.equal(bad.status, 400);
        assert.equal(await bad.text(), message);
      }
      const noId = await fetch(`${server.url}/mp/collect?api_secret=x`, {
        method: 'POST',
        body: '{"client_id":"1","events":[]}',
      });
      assert.equal(await noId.text(), 'Bad request: ga4: measurement_id (or firebase_app_id) is required in the query');
      assert.equal(server.collector.context.dispatcher.received, 2);
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.record(
              {
                client_id: fc.anything(),
                events: fc.oneof(
                  fc.array(fc.record({ name: fc.anything(), params: fc.anything() }, { requiredKeys: [] }), {
                    maxLength: 4,
                  }),
                  fc.anything(),
                ),
                user_properties: fc.anything(),
                timestamp_micros: fc.anything(),
              },
              { requiredKeys: [] },
            ),
            fc.jsonValue(),
          ),
          async (value) => {
            const before = server.collector.context.dispatcher.received;
            const r = await fetch(url, { method: 'POST', body: JSON.stringify(value) ?? 'null' });
            const text = await r.text();
            if (r.status === 204) return;
            assert.ok(r.status >= 400 && r.status < 500, `${r.status} ${text}`);
            assert.match(text, /ga4/);
            assert.equal(server.collector.context.dispatcher.received, before);
          },
        ),
        { numRuns: 300 },
      );
    } finally {
      await server.stop();
    }
    const rows = readAllRows(server.root).slice(0, 2);
    assert.deepEqual(
      rows.map((r) => r.type),
      ['page', 'purchase'],
    );
    const [view, purchase] = rows;
    assert.equal(view.location, 'https://site.example/a');
    assert.equal(view.referer, 'https://search.example/');
    assert.equal(view.br_lang, 'fr-fr');
    assert.deepEqual([view.sc_width, view.sc_height], ['1920', '1080']);
    assert.equal(view.session_id, '1764756000');
    assert.equal(view.visitor_id, '123456.7654321');
    assert.equal(view.client_ts, '2025-12-03T10:00:00.000');
    assert.deepEqual(params(view, 'visitor_params'), { userId: 'user-42', plan: 'pro' });
    assert.deepEqual(params(view), { page_title: 'A', engagement_time_msec: '100', _input: 'ga4', _site: 'G-TEST123' });
    assert.deepEqual(params(purchase), {
      currency: 'EUR',
      value: '30.03',
      transaction_id: 'T_1',
      items: '[{"item_id":"SKU_1","price":10.01,"quantity":3}]',
      _input: 'ga4',
      _site: 'G-TEST123',
    });
    removeDir(server.root);
  },
);
