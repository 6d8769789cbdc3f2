import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakePage, hitParams } from './fake-page.js';

const HEX_ID = /^[0-9a-f]{32}$/;

test('commands queued before load are replayed in order, then push runs at once', () => {
  const page = fakePage({
    queued: [
      ['setVisitorParam', 'plan', 'gold card'],
      ['trackPage', { page: 'home', note: 'a b  c' }],
      ['setSessionParam', 'sp1', 'v1'],
    ],
  });
  assert.equal(page.images.length, 1);
  assert.equal(Array.isArray(page.queue()), false, '_wt1Q is replaced by the tracker');
  page.push(['trackEvent', { kind: 'click' }]);
  assert.equal(page.images.length, 2);

  const [first, second] = page.images.map(hitParams);
  assert.ok(page.images[0].startsWith('https://t.example/public/p.gif?'), page.images[0]);
  assert.equal(first.page, 'home');
  assert.equal(first.note, 'a b  c');
  assert.match(page.images[0], /note=a\+b\+\+c&/, 'every space is encoded as +');
  assert.equal(first.__wt1ty, 'page');
  assert.equal(first.__wt1vpc, 'plan=gold+card');
  assert.equal(first.__wt1spc, undefined, 'the session param is set after the page view');
  assert.equal(first.__wt1loc, 'https://site.example/shop/item.html?id=7', 'full page URL, without the fragment');
  assert.equal(first.__wt1ref, 'https://search.example/');
  assert.equal(first.__wt1lang, 'fr-FR');
  assert.equal(first.__wt1bw, '1280');
  assert.equal(first.__wt1bh, '720');
  assert.equal(first.__wt1sw, '1920');
  assert.equal(first.__wt1sh, '1080');
  assert.match(first.__wt1tzo, /^-?\d+$/);
  assert.ok(Math.abs(Number(first.__wt1ts) - Date.now()) < 60_000);
  assert.match(first.__wt1vic, HEX_ID);
  assert.match(first.__wt1sic, HEX_ID);
  assert.notEqual(first.__wt1vic, first.__wt1sic);

  assert.equal(second.__wt1ty, 'event');
  assert.equal(second.kind, 'click');
  assert.equal(second.__wt1vic, first.__wt1vic);
  assert.equal(second.__wt1sic, first.__wt1sic);
  assert.equal(second.__wt1spc, 'sp1=v1');
});

test('cookies: WT1 names, SameSite=Lax, Secure on https, sliding session lifetime from the collector', () => {
  const page = fakePage({
    sessionExpiration: 900,
    queued: [['setCookieDomain', 'site.example'], ['setSessionParam', 'a', '1'], ['trackPage']],
  });
  const last = (name: string) => page.cookieWrites.filter((w) => w.name === name).at(-1)!;
  for (const name of ['__wt1vic', '__wt1sic', '__wt1spc']) {
    const write = last(name);
    assert.ok(write, `${name} written`);
    assert.ok(write.attributes.includes('SameSite=Lax'), `${name}: ${write.attributes}`);
    assert.ok(write.attributes.includes('Secure'), `${name}: ${write.attributes}`);
    assert.ok(write.attributes.includes('domain=site.example'), `${name}: ${write.attributes}`);
    assert.ok(write.attributes.includes('path=/'), `${name}: ${write.attributes}`);
  }
  assert.ok(last('__wt1sic').attributes.includes('max-age=900'));
  assert.ok(last('__wt1spc').attributes.includes('max-age=900'), 'session params slide with the session');
  assert.ok(last('__wt1vic').attributes.includes(`max-age=${2 * 365 * 24 * 3600}`));

  const writesBefore = page.cookieWrites.filter((w) => w.name === '__wt1sic').length;
  page.push(['trackEvent']);
  assert.equal(
    page.cookieWrites.filter((w) => w.name === '__wt1sic').length,
    writesBefore + 1,
    'each event renews the session cookie',
  );

  const http = fakePage({ href: 'http://plain.example/', queued: [['trackPage']] });
  assert.ok(!http.cookieWrites.find((w) => w.name === '__wt1vic')!.attributes.includes('Secure'));
});

test('cookies left by the original snippet are read back', () => {
  const page = fakePage();
  page.jar.set('__wt1vic', 'a1b2c3d4e5f60718');
  page.jar.set('__wt1vpc', encodeURIComponent('old=value one&x=1'));
  page.push(['setVisitorParam', 'y', '2'], ['trackPage']);
  const hit = hitParams(page.images[0]);
  assert.equal(hit.__wt1vic, 'a1b2c3d4e5f60718');
  assert.equal(hit.__wt1vpc, 'old=value+one&x=1&y=2');
});

test(
  'a cookie value another script mangled (a bad %-escape) reads as ' + 'missing and is replaced; cookies keep working',
  () => {
    const page = fakePage();
    page.jar.set('__wt1vpc', 'a%3D%E9');
    page.push(['setVisitorParam', 'b', '2'], ['trackEvent']);
    const sessionWrites = page.cookieWrites.filter((w) => w.name === '__wt1sic' && w.value !== '').length;
    page.push(['trackEvent']);
    assert.deepEqual(page.warnings, []);
    assert.deepEqual(
      page.images.map(hitParams).map((h) => h.__wt1vpc),
      ['b=2', 'b=2'],
    );
    assert.equal(page.jar.get('__wt1vpc'), encodeURIComponent('b=2'));
    assert.equal(
      page.cookieWrites.filter((w) => w.name === '__wt1sic' && w.value !== '').length,
      sessionWrites + 1,
      'the session still slides',
    );
  },
);

test('visitor and session params: set, delete, clear', () => {
  const page = fakePage();
  page.push(
    ['setVisitorParam', 'a', '1'],
    ['setVisitorParam', 'b', 'two words'],
    ['delVisitorParam', 'a'],
    ['trackEvent'],
    ['setSessionParam', 's', 'x'],
    ['clearVisitorParams'],
    ['trackEvent'],
    ['clearSessionParams'],
    ['trackEvent'],
  );
  const hits = page.images.map(hitParams);
  assert.equal(hits[0].__wt1vpc, 'b=two+words');
  assert.equal(hits[1].__wt1vpc, undefined);
  assert.equal(hits[1].__wt1spc, 's=x');
  assert.equal(hits[2].__wt1spc, undefined);
  assert.equal(page.jar.has('__wt1vpc'), false, 'a cleared params cookie is deleted');
});

test('a malformed or unknown command logs one warning and is skipped, never thrown', () => {
  const page = fakePage();
  const bad: unknown[] = [
    'trackPage',
    ['noSuchCommand'],
    ['trackPage', 'not an object'],
    ['setVisitorParam'],
    ['setVisitorParam', 'k', { nested: 1 }],
    null,
    ['setTrackerUrl', 'http://[bad'],
  ];
  for (const command of bad) assert.doesNotThrow(() => page.push(command));
  assert.equal(page.warnings.length, bad.length);
  for (const w of page.warnings) assert.equal(w[0], 'wt1:');
  assert.equal(page.images.length, 0);
  page.push(['trackPage']);
  assert.equal(page.images.length, 1, 'the tracker still works');
});

test('a throwing cookie API: one warning, ids kept in memory for the page', () => {
  const page = fakePage({ cookieApiThrows: true, queued: [['trackPage'], ['trackEvent']] });
  assert.equal(page.warnings.length, 1);
  const [a, b] = page.images.map(hitParams);
  assert.match(a.__wt1vic, HEX_ID);
  assert.equal(b.__wt1vic, a.__wt1vic);
  assert.equal(b.__wt1sic, a.__wt1sic);
});

test('long hits and hits made while the page is left are POSTed with sendBeacon', () => {
  const page = fakePage({ queued: [['trackEvent', { text: 'lorem ipsum '.repeat(160) }]] });
  assert.equal(page.images.length, 0);
  assert.equal(page.beacons.length, 1);
  assert.equal(page.beacons[0].url, 'https://t.example/public/p.gif');
  assert.ok(page.beacons[0].body.length > 1800);
  assert.equal(hitParams(page.beacons[0].body).text, 'lorem ipsum '.repeat(160));

  page.push(['trackEvent', { short: '1' }]);
  assert.equal(page.images.length, 1, 'a short hit loads the GIF');
  page.dispatch('pagehide', () => page.push(['trackEvent', { leaving: '1' }]));
  assert.equal(page.beacons.length, 2, "a hit from the page's own pagehide handler uses the beacon");
  assert.equal(hitParams(page.beacons[1].body).leaving, '1');
  page.dispatch('click', () => page.push(['trackEvent']));
  assert.equal(page.images.length, 2, 'a hit from another event loads the GIF');
  page.setVisibility('hidden');
  page.push(['trackEvent']);
  assert.equal(page.beacons.length, 3, 'a hidden page uses the beacon');
  page.setVisibility('visible');
  page.push(['trackEvent']);
  assert.equal(page.images.length, 3, 'visible again: GIF again');
});

test('the tracker URL: beside the script, or setTrackerUrl', () => {
  const prefixed = fakePage({ scriptSrc: 'https://t.example/wt1/public/track.js?v=abc', queued: [['trackPage']] });
  assert.ok(prefixed.images[0].startsWith('https://t.example/wt1/public/p.gif?'), prefixed.images[0]);
  const inlined = fakePage({ scriptSrc: '', queued: [['trackPage']] });
  assert.equal(inlined.images.length, 0, 'no script src and no setTrackerUrl: nothing sent to the page itself');
  assert.equal(inlined.warnings.length, 1);
  inlined.push(['setTrackerUrl', 'https://t.example/public/p.gif'], ['trackPage']);
  assert.ok(inlined.images[0].startsWith('https://t.example/public/p.gif?'));
  const overridden = fakePage({ queued: [['setTrackerUrl', '/collect/p.gif'], ['trackPage']] });
  assert.ok(overridden.images[0].startsWith('https://site.example/collect/p.gif?'), overridden.images[0]);
});

test('setSizeCapture "false" leaves the sizes out', () => {
  const page = fakePage({
    queued: [['setSizeCapture', 'false'], ['trackPage'], ['setSizeCapture', 'true'], ['trackPage']],
  });
  const [off, on] = page.images.map(hitParams);
  assert.equal(off.__wt1bw, undefined);
  assert.equal(off.__wt1sh, undefined);
  assert.equal(on.__wt1bw, '1280');
});

test('respectPrivacySignals: with Global Privacy Control or DNT on, nothing is sent and no id is stored', () => {
  const page = fakePage({
    globalPrivacyControl: true,
    queued: [['respectPrivacySignals'], ['trackPage'], ['trackEvent']],
  });
  assert.equal(page.images.length + page.beacons.length, 0);
  assert.equal(page.jar.has('__wt1vic'), false);
  const dnt = fakePage({ doNotTrack: '1', queued: [['respectPrivacySignals'], ['trackPage']] });
  assert.equal(dnt.images.length, 0, 'DNT: 1 is honoured too');
  const noSignal = fakePage({
    doNotTrack: '0',
    globalPrivacyControl: false,
    queued: [['respectPrivacySignals'], ['trackPage']],
  });
  assert.equal(noSignal.images.length, 1);
  const ignored = fakePage({ globalPrivacyControl: true, queued: [['trackPage']] });
  assert.equal(ignored.images.length, 1, 'without the command, signals are not consulted (as WT1)');
});

test('enableHistoryTracking: a page view per pushState / popstate that changes the URL', () => {
  const page = fakePage({
    href: 'https://app.example/',
    queued: [['enableHistoryTracking'], ['enableHistoryTracking'], ['trackPage']],
  });
  page.pushState('/orders?page=2');
  page.pushState('/orders?page=2'); // same URL: no page view
  page.goTo('https://app.example/');
  page.dispatch('popstate');
  const hits = page.images.map(hitParams);
  assert.deepEqual(
    hits.map((h) => [h.__wt1ty, h.__wt1loc, h.__wt1ref]),
    [
      ['page', 'https://app.example/', 'https://search.example/'],
      ['page', 'https://app.example/orders?page=2', 'https://app.example/'],
      ['page', 'https://app.example/', 'https://app.example/orders?page=2'],
    ],
  );
});

test(
  'history tracking: a replaced URL is where the next page view comes ' +
    'from; the page cannot set a referrer through trackPage',
  () => {
    const page = fakePage({ href: 'https://app.example/', queued: [['enableHistoryTracking']] });
    page.pushState('/search');
    page.replaceState('/search?q=shoes'); // no page view of its own
    page.pushState('/product/7');
    page.push(['trackPage', { a: '1' }, 'https://evil.example/x']); // a third element is ignored
    const hits = page.images.map(hitParams);
    assert.deepEqual(
      hits.map((h) => [h.__wt1loc, h.__wt1ref]),
      [
        ['https://app.example/search', 'https://app.example/'],
        ['https://app.example/product/7', 'https://app.example/search?q=shoes'],
        ['https://app.example/product/7', 'https://search.example/'],
      ],
    );
  },
);

test('a second copy of the script leaves the first in charge', () => {
  const page = fakePage({ queued: [['trackPage']] });
  const tracker = page.queue();
  page.load();
  assert.equal(page.queue(), tracker);
  assert.equal(page.images.length, 1);
});
