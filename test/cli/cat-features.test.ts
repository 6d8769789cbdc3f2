import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { constants, createGzip, type Gzip } from 'node:zlib';
import { runWt1, spawnWt1, stopWt1 } from '../helpers/process.js';
import { tempDir, removeDir } from '../helpers/server.js';
import { publishedFiles, temporaryFiles } from '../helpers/files.js';
import { waitFor } from '../helpers/load.js';
import { parseTimeArgument } from '../../src/reader/filters.js';
import { BASE_COLUMNS } from '../../src/logfile/line-format.js';

const HEADER = '#' + BASE_COLUMNS.join('\t');

function dataLines(stdout: string): string[] {
  const lines = stdout.split('\n');
  assert.equal(lines.pop(), '', 'output ends with a newline');
  assert.equal(lines[0], HEADER);
  return lines.slice(1);
}

async function hit(url: string, query: string): Promise<void> {
  const res = await fetch(`${url}/public/p.gif?${query}`, { headers: { 'User-Agent': 'cat-test' } });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
}

test('wt1 cat reads the complete lines of the files being written, once, and says when it skips them', async () => {
  const root = tempDir();
  const wt1 = await spawnWt1([], {
    env: {
      WT1_STORAGE__PARAMS__ROOT_DIR: root,
      WT1_STORAGE__PARAMS__NEW_FILE_TRIGGER_INTERVAL: '3600',
      WT1_FLUSH_INTERVAL: '0.05',
      WT1_INSTANCE_ID: 'live',
    },
  });
  try {
    for (let i = 0; i < 5; i++) await hit(wt1.url, `__wt1ty=page&__wt1vic=v${i}&n=${i}`);
    await waitFor(
      async () => dataLines((await runWt1(['cat', root])).stdout).length === 5,
      'the 5 flushed lines of the open file',
    );
    assert.equal(temporaryFiles(root).length, 1);
    assert.deepEqual(publishedFiles(root), []);
    const open = await runWt1(['cat', root]);
    assert.equal(open.code, 0);
    assert.equal(open.stderr, '', 'the open file is read without a word');

    const skipped = await runWt1(['cat', '--no-include-open', root]);
    assert.equal(skipped.code, 0);
    assert.deepEqual(dataLines(skipped.stdout), []);
    assert.match(skipped.stderr, /1 file still being written skipped/);

    // Published, then 3 more in a new open file: every line once.
    assert.equal((await fetch(`${wt1.url}/internal/flush`, { method: 'POST' })).status, 200);
    for (let i = 5; i < 8; i++) await hit(wt1.url, `__wt1ty=page&__wt1vic=v${i}&n=${i}`);
    await waitFor(async () => dataLines((await runWt1(['cat', root])).stdout).length === 8, 'published and open lines');
    const both = dataLines((await runWt1(['cat', root])).stdout);
    assert.deepEqual(
      both.map((l) => /n=(\d)/.exec(l)?.[1]),
      ['0', '1', '2', '3', '4', '5', '6', '7'],
    );
  } finally {
    assert.equal(await stopWt1(wt1), 0);
    removeDir(root);
  }
});

/** A gzip file as a writer leaves it mid-way: sync-flushed lines, then half a line not yet flushed whole. */
async function tornGzip(lines: string[], partial: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const gz: Gzip = createGzip();
  gz.on('data', (c: Buffer) => chunks.push(c));
  const flush = (): Promise<void> => new Promise((r) => gz.flush(constants.Z_SYNC_FLUSH, () => r()));
  gz.write(HEADER + '\n' + lines.map((l) => l + '\n').join(''));
  await flush();
  gz.write(partial);
  await flush();
  const bytes = Buffer.concat(chunks);
  gz.destroy();
  return bytes.subarray(0, bytes.length - 3); // cut inside the last block: no gzip end either
}

function line(ts: string, visitor: string): string {
  const fields = BASE_COLUMNS.map(() => 'null');
  fields[0] = ts;
  fields[3] = visitor;
  fields[8] = '"page"';
  return fields.join('\t');
}

test('a torn tail is skipped silently in a file being written, and reported in a published one', async () => {
  const root = tempDir();
  const dir = path.join(root, 'tracker/2026/11/27/06');
  mkdirSync(dir, { recursive: true });
  const bytes = await tornGzip(
    [line('2026-11-27T06:00:00.000', 'a'), line('2026-11-27T06:00:01.000', 'b')],
    line('2026-11-27T06:00:02.000', 'c').slice(0, 30),
  );
  writeFileSync(path.join(dir, '_00-00.host.123.abcd.log.gz'), bytes);
  const open = await runWt1(['cat', root]);
  assert.equal(open.code, 0, open.stderr);
  assert.equal(open.stderr, '');
  assert.deepEqual(
    dataLines(open.stdout).map((l) => l.split('\t')[3]),
    ['a', 'b'],
  );

  writeFileSync(path.join(dir, '05-00-x.log.gz'), bytes);
  const published = await runWt1(['cat', path.join(dir, '05-00-x.log.gz')]);
  assert.equal(published.code, 1);
  assert.match(published.stderr, /05-00-x\.log\.gz: .*(truncated|incomplete)/);
  assert.deepEqual(
    dataLines(published.stdout).map((l) => l.split('\t')[3]),
    ['a', 'b'],
  );
  removeDir(root);
});

test('an empty folder gives the header and "no files" on stderr', async () => {
  const root = tempDir();
  const { code, stdout, stderr } = await runWt1(['cat', root]);
  assert.equal(code, 0);
  assert.equal(stdout, HEADER + '\n');
  assert.match(stderr, /no files/);
  removeDir(root);
});

test('--format jsonl: numbers as numbers, missing as null, params as objects unless --no-decode-params', async () => {
  const root = tempDir();
  const wt1 = await spawnWt1([], { env: { WT1_STORAGE__PARAMS__ROOT_DIR: root, WT1_INSTANCE_ID: 'j' } });
  try {
    await hit(
      wt1.url,
      '__wt1ty=page&__wt1vic=v1&__wt1bw=1280&__wt1bh=720&__wt1tzo=-60&__wt1spc=utm_source%3Dnews%26a%3D1%26a%3D2' +
        '&q=caf%C3%A9+x&n=1',
    );
  } finally {
    assert.equal(await stopWt1(wt1), 0);
  }
  const out = await runWt1(['cat', '--format', 'jsonl', root]);
  assert.equal(out.code, 0, out.stderr);
  const [row] = out.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(row.br_width, 1280);
  assert.equal(row.br_height, 720);
  assert.equal(row.tz_off, -60);
  assert.equal(row.sc_width, 0, 'a size not sent is 0, a number');
  assert.equal(row.visitor_params, null);
  assert.equal(row.referer, null);
  assert.deepEqual(row.session_params, { utm_source: 'news', a: ['1', '2'] });
  assert.deepEqual(row.event_params, { q: 'café x', n: '1' });
  assert.equal(row.visitor_id, 'v1');

  const raw = await runWt1(['cat', '--format', 'jsonl', '--no-decode-params', root]);
  const [rawRow] = raw.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(rawRow.event_params, 'q=caf%C3%A9+x&n=1');
  assert.equal(rawRow.session_params, 'utm_source=news&a=1&a=2');
  assert.equal(rawRow.br_width, 1280);

  const contradiction = await runWt1(['cat', '--decode-params', '--no-decode-params', root]);
  assert.equal(contradiction.code, 2);
  assert.match(contradiction.stderr, /contradict/);
  removeDir(root);
});

test('relative times: 30m, 1h, 2d, 1w, now, today, yesterday (UTC)', async () => {
  const now = Date.UTC(2026, 10, 27, 6, 5, 4, 123);
  assert.equal(parseTimeArgument('30m', now), '2026-11-27T05:35:04.123');
  assert.equal(parseTimeArgument('1h', now), '2026-11-27T05:05:04.123');
  assert.equal(parseTimeArgument('2d', now), '2026-11-25T06:05:04.123');
  assert.equal(parseTimeArgument('1w', now), '2026-11-20T06:05:04.123');
  assert.equal(parseTimeArgument('now', now), '2026-11-27T06:05:04.123');
  assert.equal(parseTimeArgument('today', now), '2026-11-27T00:00:00.000');
  assert.equal(parseTimeArgument('Yesterday', now), '2026-11-26T00:00:00.000');
  assert.equal(parseTimeArgument('1y', now), undefined);
  assert.equal(parseTimeArgument('2026-11-27T06:05', now), '2026-11-27T06:05:00.000');

  // Through the CLI, on files written now.
  const root = tempDir();
  const wt1 = await spawnWt1([], { env: { WT1_STORAGE__PARAMS__ROOT_DIR: root } });
  try {
    await hit(wt1.url, '__wt1ty=page&__wt1vic=v1');
  } finally {
    assert.equal(await stopWt1(wt1), 0);
  }
  assert.equal(dataLines((await runWt1(['cat', '--from', '1h', root])).stdout).length, 1);
  assert.equal(dataLines((await runWt1(['cat', '--from', 'today', root])).stdout).length, 1);
  assert.equal(dataLines((await runWt1(['cat', '--to', 'today', root])).stdout).length, 0);
  const bad = await runWt1(['cat', '--from', '1y', root]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--from 1y: not a time .*1h/);
  removeDir(root);
});
