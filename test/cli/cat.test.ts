import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { runWt1, spawnWt1, WT1_BIN, type Wt1Process } from '../helpers/process.js';
import { tempDir, removeDir } from '../helpers/server.js';
import { publishedFiles, temporaryFiles, readLogFile } from '../helpers/files.js';
import { logRecords } from '../helpers/load.js';
import { s3Settings } from '../../src/cli/cat.js';

/**
 * Three instances write one visitor's visit in turns: a and b are stopped cleanly, c is killed with
 * SIGKILL while its file is still open (a temporary `_` file) and its events are recovered when a
 * collector starts again on its folder. `wt1 cat` over the three folders must give back the visit.
 */
const roots = { a: '', b: '', c: '' };
let work = '';
/** The alice hits in the order they were sent: [hit number, instance, type]. */
const aliceHits: Array<[number, 'a' | 'b' | 'c', string]> = [];
let bobHits = 0;

async function hit(node: Wt1Process, visitor: string, n: number, type: string): Promise<void> {
  const res = await fetch(
    `${node.url}/public/p.gif?__wt1ty=${type}&__wt1vic=${visitor}&__wt1sic=${visitor}-s${n < 6 ? 1 : 2}&hit=${n}`,
    {
      headers: { Referer: `https://shop.example/p?q="quoted"\\${n}` },
    },
  );
  assert.equal(res.status, 200);
  await res.arrayBuffer();
}

before(async () => {
  work = tempDir();
  const env = (name: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    WT1_STORAGE__PARAMS__ROOT_DIR: path.join(work, name),
    WT1_STORAGE__PARAMS__NEW_FILE_TRIGGER_INTERVAL: '3600',
    WT1_INSTANCE_ID: name,
    WT1_LOG_LEVEL: 'info',
    ...extra,
  });
  roots.a = path.join(work, 'a');
  roots.b = path.join(work, 'b');
  roots.c = path.join(work, 'c');
  const nodes = {
    a: await spawnWt1([], { env: env('a') }),
    b: await spawnWt1([], { env: env('b') }),
    c: await spawnWt1([], { env: env('c', { WT1_FLUSH_INTERVAL: '0.05' }) }),
  };
  try {
    const order = ['a', 'b', 'c', 'c', 'a', 'b', 'b', 'c', 'a', 'c', 'a', 'b'] as const;
    for (const [i, name] of order.entries()) {
      const type = i % 4 === 3 ? 'event' : 'page';
      await hit(nodes[name], 'alice', i + 1, type);
      aliceHits.push([i + 1, name, type]);
      await hit(nodes[order[(i + 1) % order.length]], 'bob', 100 + i, 'page');
      bobHits++;
      await new Promise((r) => setTimeout(r, 5)); // distinct milliseconds: one exact timeline
    }
    await new Promise((r) => setTimeout(r, 500)); // several flushes of c's open file
    assert.equal(temporaryFiles(roots.c).length, 1, 'c has its file open');
    nodes.c.child.kill('SIGKILL');
    assert.equal(await nodes.c.exited, 'SIGKILL');
  } finally {
    for (const node of [nodes.a, nodes.b]) node.child.kill('SIGTERM');
    assert.equal(await nodes.a.exited, 0);
    assert.equal(await nodes.b.exited, 0);
  }
  assert.deepEqual(publishedFiles(roots.c), [], "the crash left c's events unpublished");
  // A collector starting on c's folder recovers the dead writer's file.
  const restarted = await spawnWt1([], { env: env('c') });
  restarted.child.kill('SIGTERM');
  assert.equal(await restarted.exited, 0);
  assert.ok(
    logRecords(restarted.output()).some((r) => r.msg === 'recovered a file left by a crashed writer' && r.lines === 8),
  );
  assert.equal(publishedFiles(roots.c).length, 1);
});

after(() => removeDir(work));

function tsvRows(stdout: string): { header: string[]; rows: string[][] } {
  const lines = stdout.split('\n');
  assert.equal(lines.pop(), '', 'output ends with a newline');
  assert.ok(lines[0].startsWith('#'), 'one header line first');
  assert.ok(
    lines.slice(1).every((l) => !l.startsWith('#')),
    'only one header',
  );
  return { header: lines[0].slice(1).split('\t'), rows: lines.slice(1).map((l) => l.split('\t')) };
}

const hitOf = (eventParams: string | null): number => Number(/hit=(\d+)/.exec(eventParams ?? '')?.[1]);

test('three instances, one recovered after a crash, merge into the exact timeline of one visitor', async () => {
  const { code, stdout, stderr } = await runWt1(['cat', '--visitor', 'alice', roots.a, roots.b, roots.c]);
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '');
  const { header, rows } = tsvRows(stdout);
  const col = (name: string): number => header.indexOf(name);
  assert.deepEqual(
    rows.map((r) => hitOf(r[col('event_params')])),
    aliceHits.map(([n]) => n),
  );
  assert.deepEqual(
    rows.map((r) => r[col('type')]),
    aliceHits.map(([, , t]) => `"${t}"`),
  );
  const times = rows.map((r) => r[col('server_ts')]);
  assert.deepEqual(times, [...times].sort());
  assert.ok(rows.every((r) => r[col('visitor_id')] === 'alice'));
});

test('without filters every line of every instance comes out once, in server_ts order', async () => {
  const { code, stdout } = await runWt1(['cat', work]);
  assert.equal(code, 0);
  const { header, rows } = tsvRows(stdout);
  assert.equal(rows.length, aliceHits.length + bobHits);
  const times = rows.map((r) => r[header.indexOf('server_ts')]);
  assert.deepEqual(times, [...times].sort());
  assert.equal(new Set(rows.map((r) => hitOf(r[header.indexOf('event_params')]))).size, rows.length);
});

test('overlapping sources give each file once', async () => {
  const { code, stdout } = await runWt1(['cat', '--visitor', 'alice', work, roots.a, publishedFiles(roots.b)[0]]);
  assert.equal(code, 0);
  assert.equal(tsvRows(stdout).rows.length, aliceHits.length);
});

test('--format jsonl writes one object per line with unescaped fields', async () => {
  const { code, stdout } = await runWt1(['cat', '--format', 'jsonl', '--visitor', 'alice', roots.a, roots.b, roots.c]);
  assert.equal(code, 0);
  const rows = stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, string | null> & { event_params: { hit: string } });
  assert.deepEqual(
    rows.map((r) => Number(r.event_params.hit)),
    aliceHits.map(([n]) => n),
  );
  assert.equal(rows[0].location, 'https://shop.example/p?q="quoted"\\1');
  assert.equal(rows[0].type, 'page');
  assert.equal(rows[0].visitor_params, null);
  assert.equal(rows[0].client_addr, '127.0.0.1');
});

test('filters: --session, --type, --from/--to (UTC, from inclusive, to exclusive)', async () => {
  const all = tsvRows((await runWt1(['cat', '--visitor', 'alice', work])).stdout);
  const ts = all.rows.map((r) => r[all.header.indexOf('server_ts')]);

  const session = tsvRows((await runWt1(['cat', '--session', 'alice-s1', work])).stdout);
  assert.deepEqual(
    session.rows.map((r) => hitOf(r[session.header.indexOf('event_params')])),
    [1, 2, 3, 4, 5],
  );

  const events = tsvRows((await runWt1(['cat', '--type', 'event', '--visitor', 'alice', work])).stdout);
  assert.deepEqual(
    events.rows.map((r) => hitOf(r[events.header.indexOf('event_params')])),
    aliceHits.filter(([, , t]) => t === 'event').map(([n]) => n),
  );

  const window = tsvRows((await runWt1(['cat', '--visitor', 'alice', '--from', ts[2], '--to', ts[6], work])).stdout);
  assert.deepEqual(
    window.rows.map((r) => hitOf(r[window.header.indexOf('event_params')])),
    [3, 4, 5, 6],
  );
  const zoned = tsvRows((await runWt1(['cat', '--visitor', 'alice', '--from', ts[2] + '+00:00', work])).stdout);
  assert.equal(zoned.rows.length, aliceHits.length - 2);

  const bad = await runWt1(['cat', '--from', 'last-week', work]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--from last-week/);
});

test('corrupt and truncated files are reported on stderr, the rest is still written, exit code 1', async () => {
  const broken = path.join(work, 'broken');
  const day = path.join(broken, 'tracker', '2026', '01', '01', '00');
  mkdirSync(day, { recursive: true });
  const source = publishedFiles(roots.a)[0];
  const bytes = readFileSync(source);
  writeFileSync(path.join(day, '00-00-trunc.log.gz'), bytes.subarray(0, Math.floor(bytes.length * 0.8)));
  writeFileSync(path.join(day, '00-01-garbage.log.gz'), 'this is not gzip');
  copyFileSync(source, path.join(day, '_00-02.host.1.ab.log.gz')); // a temporary: skipped
  const [header, firstLine] = gunzipSync(bytes).toString('utf8').split('\n');
  // Damaged inside its first line: nothing of it can be written, but it must be said.
  writeFileSync(path.join(day, '00-03-torn.log.gz'), gzipSync(`${header}\n${firstLine.slice(0, 30)}`));
  // A line with fewer fields than the header, in a file read without filters (copied as it is otherwise).
  writeFileSync(
    path.join(day, '00-04-short.log.gz'),
    gzipSync(`${header}\n${firstLine}\n2026-01-01T00:04:00.000\tshort\tline\n`),
  );
  try {
    const { code, stdout, stderr } = await runWt1(['cat', roots.b, broken]);
    assert.equal(code, 1);
    assert.match(stderr, /00-00-trunc\.log\.gz: the gzip data is truncated/);
    assert.match(stderr, /00-01-garbage\.log\.gz: .*(gzip|header)/);
    assert.match(stderr, /00-03-torn\.log\.gz: /);
    assert.match(stderr, /00-04-short\.log\.gz: 1 line does not match the header/);
    assert.doesNotMatch(stdout, /\tshort\tline/);
    assert.doesNotMatch(stderr, /_00-02/);
    const { rows } = tsvRows(stdout);
    const expectedB = readLogFile(publishedFiles(roots.b)[0]).lines.length;
    assert.ok(rows.length >= expectedB, 'every line of the good files is written');
  } finally {
    removeDir(broken);
  }
});

test('files with different headers: the output has the union of their columns', async () => {
  const other = path.join(work, 'inlined');
  const node = await spawnWt1([], { env: { WT1_STORAGE__PARAMS__ROOT_DIR: other, WT1_INLINED_EVENT_PARAMS: 'hit' } });
  try {
    await hit(node, 'alice', 99, 'page');
  } finally {
    node.child.kill('SIGTERM');
    assert.equal(await node.exited, 0);
  }
  try {
    const { code, stdout, stderr } = await runWt1(['cat', '--visitor', 'alice', roots.a, other]);
    assert.equal(code, 0);
    assert.match(stderr, /2 different headers/);
    const { header, rows } = tsvRows(stdout);
    assert.equal(header.at(-1), 'hit');
    assert.ok(rows.every((r) => r.length === header.length));
    assert.deepEqual(
      rows.map((r) => r[header.length - 1]),
      [...rows.slice(0, -1).map(() => ''), '"99"'],
    );
  } finally {
    removeDir(other);
  }
});

test('a progress bar is drawn on stderr only when it is a terminal and there are many files', async () => {
  const many = path.join(work, 'many');
  mkdirSync(many);
  const source = publishedFiles(roots.a)[0];
  for (let i = 0; i < 25; i++) copyFileSync(source, path.join(many, `${String(i).padStart(2, '0')}-00-copy.log.gz`));
  try {
    const piped = await runWt1(['cat', many]);
    assert.equal(piped.code, 0);
    assert.equal(piped.stderr, '', 'no bar when stderr is not a terminal');
    // `script` (util-linux, Debian package bsdutils) runs the command on a pseudo-terminal.
    const command =
      `${JSON.stringify(process.execPath)} ` + `${JSON.stringify(WT1_BIN)} cat ${JSON.stringify(many)} > /dev/null`;
    const onTerminal = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 30_000 });
    assert.ok(
      !onTerminal.error,
      `the \`script\` command is needed (apt-get install bsdutils): ${String(onTerminal.error)}`,
    );
    assert.equal(onTerminal.status, 0, onTerminal.stdout);
    assert.match(onTerminal.stdout, /25 files \[#+\.*\] \d+%/);
    assert.match(onTerminal.stdout, /\r\x1b\[K/, 'the bar is erased at the end');
  } finally {
    removeDir(many);
  }
});

test(
  'wt1 cat S3 settings: flags over WT1_STORAGE__PARAMS__* over the ' + 'config file, read like the S3 engine params',
  () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'config.properties');
      writeFileSync(
        file,
        'storage.class=s3\nstorage.params.bucketName=b\nstorage.params.endpoint=http://from-file:9000\n' +
          'storage.params.region=eu-west-3\nstorage.params.accessKey=AK\nstorage.params.secretKey=SK\n',
      );
      assert.deepEqual(s3Settings({ config: file }, {}), {
        endpoint: 'http://from-file:9000',
        region: 'eu-west-3',
        forcePathStyle: false,
        accessKey: 'AK',
        secretKey: 'SK',
      });
      // Variable names as for `wt1 serve` (case and _ ignored in a segment); booleans as in the config.
      const env = {
        WT1_STORAGE__PARAMS__ENDPOINT: 'http://from-env:9000',
        WT1_STORAGE__PARAMS__FORCE_PATH_STYLE: 'on',
      };
      assert.deepEqual(s3Settings({ config: file }, env), {
        endpoint: 'http://from-env:9000',
        region: 'eu-west-3',
        forcePathStyle: true,
        accessKey: 'AK',
        secretKey: 'SK',
      });
      assert.equal(s3Settings({ config: file, 's3-endpoint': 'http://flag:9000' }, env).endpoint, 'http://flag:9000');
      assert.throws(
        () => s3Settings({}, { WT1_STORAGE__PARAMS__FORCE_PATH_STYLE: 'yess' }),
        /storage\.params\.forcePathStyle: "yess"/,
      );
    } finally {
      removeDir(dir);
    }
  },
);
