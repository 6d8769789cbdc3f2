import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildPageView,
  buildSelfDescribingEvent,
  buildStructEvent,
  buildEcommerceTransaction,
  newTracker,
} from '@snowplow/node-tracker';
import { startTestServer, removeDir } from '../helpers/server.js';
import { readAllRows, type Row } from '../helpers/files.js';

const params = (row: Row, column: 'event_params' | 'visitor_params' | 'session_params' = 'event_params') =>
  Object.fromEntries(new URLSearchParams(row[column] ?? ''));

test(
  '@snowplow/node-tracker: POST batches with base64 contexts and GET /i with JSON text, ' +
    'every field in a column or a param',
  async () => {
    const server = await startTestServer({ 'inputs.snowplow.appIds': 'node-app' });
    const failures: unknown[] = [];
    const answers: Array<[number, string | null, string | null]> = [];
    const emitter = (eventMethod: 'post' | 'get') => ({
      endpoint: server.url,
      eventMethod,
      bufferSize: eventMethod === 'post' ? 10 : 1,
      retryFailedRequests: false,
      onRequestFailure: (failure: unknown) => failures.push(failure),
      onRequestSuccess: (_: unknown, response: Response) =>
        answers.push([response.status, response.headers.get('content-type'), response.headers.get('cache-control')]),
    });
    try {
      const post = newTracker({ namespace: 'srv', appId: 'node-app' }, emitter('post'));
      post.setDomainUserId('duid-1');
      post.setSessionId('sess-1');
      post.setSessionIndex(3);
      post.setUserId('user-7');
      post.setLang('fr-FR');
      post.setScreenResolution('1920', '1080');
      post.setViewport('1200', '700');
      post.setColorDepth('24');
      post.setTimezone('Europe/Paris');
      post.setUseragent('App/1.0');
      post.setIpAddress('198.51.100.9');
      const user = { schema: 'iglu:com.acme/user/jsonschema/1-0-0', data: { tier: 'gold', flags: { beta: true } } };
      post.track(
        buildPageView({
          pageUrl: 'https://site.example/home?x=1',
          pageTitle: 'Home',
          referrer: 'https://search.example/?q=wt1',
        }),
        [user],
        { type: 'ttm', value: Date.UTC(2026, 0, 2, 3, 4, 5, 678) },
      );
      post.track(buildStructEvent({ category: 'video', action: 'play', label: 'intro', property: 'hd', value: 12.5 }));
      post.track(
        buildSelfDescribingEvent({
          event: {
            schema: 'iglu:com.acme/signup/jsonschema/1-0-0',
            data: { plan: 'pro', seats: 3, address: { city: 'Lyon' }, tags: ['a', 'b'] },
          },
        }),
        [user, { schema: 'iglu:com.acme/product/jsonschema/1-0-0', data: { sku: 'A1' } }],
      );
      post.track(buildEcommerceTransaction({ orderId: 'o-1', total: 42.5, currency: 'EUR', tax: 2, city: 'Lyon' }), [
        { schema: 'iglu:com.acme/product/jsonschema/1-0-0', data: { sku: 'A1' } },
        { schema: 'iglu:com.acme/product/jsonschema/2-0-0', data: { sku: 'B2' } },
      ]);
      await post.flush();

      // encodeBase64: false sends ue_pr / co as JSON text; eventMethod: 'get' one event per GET /i.
      const get = newTracker({ namespace: 'get', appId: 'node-app', encodeBase64: false }, emitter('get'));
      get.setDomainUserId('duid-2');
      get.track(
        buildSelfDescribingEvent({ event: { schema: 'iglu:com.acme/search/jsonschema/1-0-0', data: { q: 'a b&c' } } }),
        [user],
      );
      await get.flush();
    } finally {
      await server.stop();
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(answers, [
      [200, 'text/plain; charset=utf-8', null],
      [200, 'image/gif', 'no-cache, no-store, must-revalidate'],
    ]);
    const rows = readAllRows(server.root);
    assert.deepEqual(
      rows.map((r) => r.type),
      ['page', 'play', 'signup', 'transaction', 'search'],
    );
    const [page, play, signup, transaction, search] = rows;
    assert.equal(page.location, 'https://site.example/home?x=1');
    assert.equal(page.referer, 'https://search.example/?q=wt1');
    assert.equal(page['user-agent'], 'App/1.0');
    assert.equal(page.br_lang, 'fr-FR');
    assert.deepEqual([page.sc_width, page.sc_height, page.br_width, page.br_height], ['1920', '1080', '1200', '700']);
    assert.equal(page.client_ts, '2026-01-02T03:04:05.678', 'the true timestamp');
    assert.notEqual(page.client_addr, '198.51.100.9', 'an address in the body is not the client address');
    for (const row of rows.slice(0, 4)) {
      assert.equal(row.visitor_id, 'duid-1');
      assert.equal(row.session_id, 'sess-1');
      assert.deepEqual(params(row, 'visitor_params'), { userId: 'user-7' });
      assert.deepEqual(params(row, 'session_params'), { vid: '3' });
    }
    const pageParams = params(page);
    const stm = pageParams.stm;
    const eid = pageParams.eid;
    assert.match(stm, /^\d{13}$/);
    assert.match(eid, /^[0-9a-f-]{36}$/);
    assert.match(pageParams.tv, /^node-/);
    assert.deepEqual(pageParams, {
      tv: pageParams.tv,
      tna: 'srv',
      p: 'srv',
      eid,
      cd: '24',
      tz: 'Europe/Paris',
      stm,
      'user.tier': 'gold',
      'user.flags.beta': 'true',
      title: 'Home',
      _contexts: 'iglu:com.acme/user/jsonschema/1-0-0',
      _input: 'snowplow',
      _site: 'node-app',
    });
    assert.match(play.client_ts!, /^20\d\d-/, 'the device timestamp');
    const playParams = params(play);
    assert.deepEqual(
      [playParams.se_ca, playParams.se_ac, playParams.se_la, playParams.se_pr, playParams.se_va],
      ['video', 'play', 'intro', 'hd', '12.5'],
    );
    const signupParams = params(signup);
    assert.equal(signupParams.plan, 'pro');
    assert.equal(signupParams.seats, '3');
    assert.equal(signupParams['address.city'], 'Lyon');
    assert.equal(signupParams.tags, '["a","b"]');
    assert.equal(signupParams['user.tier'], 'gold');
    assert.equal(signupParams['product.sku'], 'A1');
    assert.equal(signupParams._schema, 'iglu:com.acme/signup/jsonschema/1-0-0');
    assert.equal(signupParams._contexts, 'iglu:com.acme/user/jsonschema/1-0-0,iglu:com.acme/product/jsonschema/1-0-0');
    const trParams = params(transaction);
    assert.deepEqual(
      [trParams.tr_id, trParams.tr_tt, trParams.tr_cu, trParams.tr_tx, trParams.tr_ci],
      ['o-1', '42.5', 'EUR', '2', 'Lyon'],
    );
    assert.deepEqual([trParams['product.0.sku'], trParams['product.1.sku']], ['A1', 'B2']);

    assert.equal(search.visitor_id, 'duid-2');
    assert.equal(params(search).q, 'a b&c');
    assert.equal(params(search)['user.flags.beta'], 'true');
    assert.equal(params(search).tna, 'get');
    removeDir(server.root);
  },
);
