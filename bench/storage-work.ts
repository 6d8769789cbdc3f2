/**
 * `npm run bench:storage`: what the storage thread spends per event, piece by piece, in one thread
 * with nothing else running (no HTTP): building a pixel hit's line (`formatLine(eventFromHit())`),
 * encoding it to UTF-8, and compressing it at each gzip level.
 *
 * The hits are made the way real traffic is: 300 visitors with their own random ids, three browsers,
 * varying pages and times. Compression depends on that: `npm run bench` sends one identical hit over
 * and over, which gzip squeezes at a fraction of the cost of real lines.
 *
 * Options (environment): STORAGE_BENCH_EVENTS (lines per measured pass, default 20000).
 */
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { eventFromHit, type HitFields } from '../src/event/pixel-hit.js';
import { formatLine, type LineColumns } from '../src/logfile/line-format.js';

const EVENTS = Number(process.env.STORAGE_BENCH_EVENTS ?? 20_000);
const PREFIX = 'Z' + randomBytes(8).toString('hex');
const columns: LineColumns = {
  globalVisitorId: false,
  inlinedVisitorParams: [],
  inlinedSessionParams: [],
  inlinedEventParams: [],
};
const USER_AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 ' +
    'Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
];

function realisticHits(count: number): HitFields[] {
  const visitors = Array.from({ length: 300 }, (_, i) => ({
    vic: randomBytes(16).toString('hex'),
    sic: randomBytes(16).toString('hex'),
    ua: USER_AGENTS[i % USER_AGENTS.length],
    address: `10.${i % 7}.${i % 200}.${i % 13}`,
  }));
  let now = 1_764_230_400_000;
  return Array.from({ length: count }, (_, i) => {
    const v = visitors[Math.floor(Math.random() * visitors.length)];
    now += Math.floor(Math.random() * 50);
    const product = `sku-${i % 97}`;
    // A fresh string per hit, as the storage thread receives them (no shared, already-hashed strings).
    const query = [
      `__wt1ts=${now - 40}`,
      '__wt1ty=page',
      '__wt1ref=https%3A%2F%2Fwww.google.com%2F',
      '__wt1tzo=-60',
      '__wt1lang=fr-FR',
      '__wt1bw=1280',
      '__wt1bh=720',
      '__wt1sw=1920',
      '__wt1sh=1080',
      `__wt1vic=${v.vic}`,
      `__wt1sic=${v.sic}`,
      '__wt1vpc=plan%3Dpro%26country%3Dfr',
      '__wt1spc=campaign%3Dspring',
      `product=${product}`,
      'category=shoes+and+boots',
    ].join('&');
    return {
      queryStrings: [query],
      now,
      clientAddress: v.address,
      rawReferer: `https://shop.example.com/products/shoes/${product}?utm_source=newsletter&utm_medium=email`,
      rawUserAgent: v.ua,
      globalVisitorId: null,
      seq: i,
    };
  });
}

/** µs per event of `run` over all hits, best of 5 passes after a warm-up. */
function measure(hits: readonly HitFields[], run: (hits: readonly HitFields[]) => void): number {
  run(hits);
  let best = Infinity;
  for (let pass = 0; pass < 5; pass++) {
    const start = process.hrtime.bigint();
    run(hits);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1000 / hits.length);
  }
  return best;
}

function main(): void {
  const hits = realisticHits(EVENTS);
  let sink = 0;
  const line = (h: HitFields): string => formatLine(eventFromHit(h, PREFIX), columns);
  const built = measure(hits, (hs) => {
    for (const h of hs) sink += line(h).length;
  });
  // Encoding flattens the line (a rope of ~40 pieces) too: measured on fresh lines, with the build.
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  const encoded = measure(hits, (hs) => {
    let at = 0;
    for (const h of hs) {
      if (at > buffer.length - 64 * 1024) at = 0;
      at += buffer.write(line(h), at, 'utf8');
    }
    sink += at;
  });
  const lines = hits.map(line);
  const text = Buffer.from(lines.join(''), 'utf8');

  const out: string[] = [
    `wt1 storage work, ${EVENTS} realistic hits (${(text.length / EVENTS).toFixed(0)} bytes a line), µs per event, ` +
      `best of 5 passes`,
    '',
    '| step | µs per event |',
    '|---|---|',
    `| hit -> event -> line (formatLine(eventFromHit())) | ${built.toFixed(2)} |`,
    `| hit -> line -> UTF-8 bytes in the gzip input buffer | ${encoded.toFixed(2)} |`,
    '',
    '| gzip level | µs per line | compression ratio |',
    '|---|---|---|',
  ];
  for (let level = 1; level <= 9; level++) {
    let size = 0;
    const us = measure(hits, () => {
      size = deflateRawSync(text, { level }).length;
    });
    out.push(
      `| ${level}${level === 3 ? ' (wt1 default)' : level === 6 ? ' (WT1, zlib default)' : ''} | ${us.toFixed(2)} ` +
        `| ${(text.length / size).toFixed(2)}x |`,
    );
  }
  process.stdout.write(out.join('\n') + '\n');
  if (sink === -1) process.stdout.write('\n'); // keeps the measured work from being optimised away
}

main();
