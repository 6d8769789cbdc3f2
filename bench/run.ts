/**
 * `npm run bench`: loads, on loopback and in one run, /public/p.gif with a realistic hit (15 params,
 * Referer, User-Agent; filesystem engine writing every event), /public/nothing, and a bare node:http
 * server answering the same GIF. Each server runs in its own process, the load generator
 * (autocannon) in this one. Rounds alternate the three targets so that background load hits them
 * alike; the median round is reported. Afterwards the collector is stopped (SIGTERM) and the lines
 * of its files are counted: every answered pixel must be there. The server's CPU time per answered
 * request (all its threads, from /proc) is printed too: unlike req/s, it hardly depends on what else
 * the machine runs.
 *
 * Options (environment): BENCH_SECONDS (per round, default 8), BENCH_ROUNDS (default 3),
 * BENCH_CONNECTIONS (default 32).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { readAllRows } from '../test/helpers/files.js';
import { freePort } from '../test/helpers/process.js';

interface Histogram { p50: number; p99: number; average: number }
interface Result { requests: { average: number; total: number }; latency: Histogram; '2xx': number; non2xx: number; errors: number; timeouts: number }
type Autocannon = (opts: Record<string, unknown>) => Promise<Result>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const repo = fileURLToPath(new URL('../../', import.meta.url));

/** A hit as the snippet sends it: the reserved params plus a few custom ones. */
const PIXEL_QUERY = [
  '__wt1ts=1700000000123', '__wt1ty=page', '__wt1ref=https%3A%2F%2Fwww.google.com%2F', '__wt1tzo=-60', '__wt1lang=fr-FR',
  '__wt1bw=1280', '__wt1bh=720', '__wt1sw=1920', '__wt1sh=1080', '__wt1vic=a1b2c3d4e5f60718293a4b5c6d7e8f90',
  '__wt1sic=0f1e2d3c4b5a69788796a5b4c3d2e1f0', '__wt1vpc=plan%3Dpro%26country%3Dfr', '__wt1spc=campaign%3Dspring',
  'product=sku-1234', 'category=shoes+and+boots',
].join('&');
const HEADERS = {
  referer: 'https://shop.example.com/products/shoes/sku-1234?utm_source=newsletter&utm_medium=email',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
};

async function waitForLine(child: ChildProcess): Promise<string> {
  let out = '';
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    if (out.includes('\n')) return out.split('\n')[0];
  }
  throw new Error('the process ended before printing its port');
}

async function startCollector(root: string): Promise<{ child: ChildProcess; port: number; url: string }> {
  const port = await freePort();
  const config = path.join(root, 'config.properties');
  writeFileSync(config, `storage.class=com.dataiku.wt1.storage.FSStorageProcessor\nstorage.params.rootDir=${path.join(root, 'data')}\nlogLevel=warn\nshutdownTimeout=120\n`);
  const child = spawn(process.execPath, [path.join(repo, 'bin/wt1'), 'serve', '--config', config, '--port', String(port), '--host', '127.0.0.1'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/isAlive`)).ok) return { child, port, url };
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('wt1 did not start');
}

async function startBare(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(repo, 'dist/bench/bare-server.js'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = Number(await waitForLine(child));
  return { child, url: `http://127.0.0.1:${port}` };
}

/** Peak resident memory of a process, in MB (Linux). */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** CPU time (user + system, all threads) a process has used so far, in µs (Linux). */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd on
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}
/** USER_HZ: 100 on every Linux build Node runs on. */
const CLOCK_TICKS = 100;

async function load(url: string, seconds: number): Promise<Result> {
  return autocannon({ url, connections: CONNECTIONS, duration: seconds, headers: HEADERS });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'wt1-bench-'));
  const collector = await startCollector(root);
  const bare = await startBare();
  const targets = {
    pixel: `${collector.url}/public/p.gif?${PIXEL_QUERY}`,
    nothing: `${collector.url}/public/nothing?${PIXEL_QUERY}`,
    bare: `${bare.url}/public/p.gif?${PIXEL_QUERY}`,
  } as const;
  type Name = keyof typeof targets;
  const results: Record<Name, Result[]> = { pixel: [], nothing: [], bare: [] };
  // Server CPU per answered request: the number that does not depend on what else the machine runs.
  const cpuPerRequest: Record<Name, number[]> = { pixel: [], nothing: [], bare: [] };
  const pidOf = (name: Name): number => (name === 'bare' ? bare.child.pid! : collector.child.pid!);
  let pixelAnswered = 0;
  let pixelNon2xx = 0;
  try {
    process.stdout.write(`wt1 bench: ${ROUNDS} rounds x ${SECONDS} s per target, ${CONNECTIONS} connections, loopback\n`);
    for (const name of Object.keys(targets) as Name[]) { // warm-up (JIT, file opening)
      const r = await load(targets[name], 2);
      if (name === 'pixel') { pixelAnswered += r['2xx']; pixelNon2xx += r.non2xx; }
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = (['bare', 'nothing', 'pixel'] as Name[]).map((_, i, a) => a[(i + round) % a.length]);
      for (const name of order) {
        const cpuBefore = cpuMicros(pidOf(name));
        const r = await load(targets[name], SECONDS);
        cpuPerRequest[name].push((cpuMicros(pidOf(name)) - cpuBefore) / Math.max(1, r['2xx']));
        results[name].push(r);
        if (name === 'pixel') { pixelAnswered += r['2xx']; pixelNon2xx += r.non2xx; }
        process.stdout.write(`  round ${round + 1} ${name.padEnd(7)} ${Math.round(r.requests.average).toString().padStart(6)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  errors ${r.errors + r.timeouts + r.non2xx}  server CPU ${cpuPerRequest[name].at(-1)!.toFixed(1)} µs/req\n`);
      }
    }
    const rss = peakRssMb(collector.child.pid!);
    const live = (await (await fetch(`${collector.url}/internal/live`)).json()) as { receivedEvents: number; processors: { storage: { dropped: number; failed: number } } };
    collector.child.kill('SIGTERM');
    const [code] = (await once(collector.child, 'exit')) as [number];
    const lines = readAllRows(path.join(root, 'data')).length;

    const summary = (name: Name): { rps: number; p50: number; p99: number; cpu: number } => {
      const rs = results[name];
      return { rps: median(rs.map((r) => r.requests.average)), p50: median(rs.map((r) => r.latency.p50)), p99: median(rs.map((r) => r.latency.p99)), cpu: median(cpuPerRequest[name]) };
    };
    const pixel = summary('pixel');
    const nothing = summary('nothing');
    const bareS = summary('bare');
    const row = (label: string, s: { rps: number; p50: number; p99: number; cpu: number }): string =>
      `| ${label} | ${Math.round(s.rps)} | ${s.p50} | ${s.p99} | ${s.cpu.toFixed(1)} |`;
    process.stdout.write([
      '',
      '| target | req/s (median round) | p50 ms | p99 ms | server CPU µs/request (median) |',
      '|---|---|---|---|---|',
      row('wt1 /public/p.gif (fs engine, every event written)', pixel),
      row('wt1 /public/nothing', nothing),
      row('bare node:http GIF server', bareS),
      '',
      `pixel / nothing = ${(pixel.rps / nothing.rps).toFixed(2)} (target >= 0.85)`,
      `pixel / bare    = ${(pixel.rps / bareS.rps).toFixed(2)} (target >= 0.75)`,
      `collector peak RSS = ${rss.toFixed(0)} MB (target < 150 MB)`,
      `pixels answered 200 = ${pixelAnswered}, non-2xx = ${pixelNon2xx}; received = ${live.receivedEvents}, dropped = ${live.processors.storage.dropped}, failed = ${live.processors.storage.failed}`,
      // autocannon stops counting at the deadline: requests then in flight were received but not counted.
      `lines in the files after SIGTERM = ${lines}: ${lines === live.receivedEvents && lines >= pixelAnswered ? 'every answered pixel written' : 'MISMATCH'}; exit code ${code}`,
      '',
    ].join('\n'));
    if (lines !== live.receivedEvents || lines < pixelAnswered || code !== 0) process.exitCode = 1;
  } finally {
    collector.child.kill('SIGKILL');
    bare.child.kill('SIGTERM');
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
