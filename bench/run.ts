/**
 * `npm run bench`: loads, on loopback and in one run, /public/p.gif with a realistic hit (15 params,
 * Referer, User-Agent; filesystem engine writing every event), /public/nothing, and a bare node:http
 * server answering the same GIF. Each server runs in its own process. The load generator is wrk when
 * it is on PATH (a child process needing a few µs of CPU per request), else autocannon in this
 * process (about 12 µs per request: on 2 cores it takes most of the one the server does not use, and
 * the ratios are then limited by it). Rounds alternate the three targets so that background load hits
 * them alike; the median round is reported. Afterwards the collector is stopped (SIGTERM) and the
 * lines of its files are counted: every answered pixel must be there. The server's CPU time per
 * answered request (all its threads, from /proc) is printed too: unlike req/s, it hardly depends on
 * what else the machine runs; so is the load generator's, to see what it leaves the server.
 *
 * CPU placement (BENCH_ISOLATE=1, the default, on Linux with 2+ CPUs, wrk and taskset): the load
 * generator runs on the last CPU, as if the visitors were elsewhere, and the collector runs with
 * `isolateRequestThread=true` (its threads other than the request thread on the CPUs after the
 * first). The three targets get the same load generator placement. BENCH_ISOLATE=0 pins nothing
 * and runs the collector with the default configuration; docs/benchmarks.md has both results.
 *
 * Options (environment): BENCH_SECONDS (per round, default 8), BENCH_ROUNDS (default 3),
 * BENCH_CONNECTIONS (default 32), BENCH_LOADGEN (wrk or autocannon; default wrk when installed),
 * BENCH_ISOLATE (1 or 0, default 1).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { readAllRows } from '../test/helpers/files.js';
import { freePort } from '../test/helpers/process.js';
import { cpuMicros, peakRssMb } from './proc.js';
import { chooseLoadGenerator } from './loadgen.js';
import type { LoadResult } from './load-result.js';
import { allowedCpus } from '../src/server/request-thread-isolation.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ISOLATE = process.env.BENCH_ISOLATE ?? '1';
const repo = fileURLToPath(new URL('../../', import.meta.url));

/** A hit as the snippet sends it: the reserved params plus a few custom ones. */
const PIXEL_QUERY = [
  '__wt1ts=1700000000123',
  '__wt1ty=page',
  '__wt1ref=https%3A%2F%2Fwww.google.com%2F',
  '__wt1tzo=-60',
  '__wt1lang=fr-FR',
  '__wt1bw=1280',
  '__wt1bh=720',
  '__wt1sw=1920',
  '__wt1sh=1080',
  '__wt1vic=a1b2c3d4e5f60718293a4b5c6d7e8f90',
  '__wt1sic=0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  '__wt1vpc=plan%3Dpro%26country%3Dfr',
  '__wt1spc=campaign%3Dspring',
  'product=sku-1234',
  'category=shoes+and+boots',
].join('&');
const HEADERS = {
  Referer: 'https://shop.example.com/products/shoes/sku-1234?utm_source=newsletter&utm_medium=email',
  'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
};

async function waitForLine(child: ChildProcess): Promise<string> {
  let out = '';
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    if (out.includes('\n')) return out.split('\n')[0];
  }
  throw new Error('the process ended before printing its port');
}

/**
 * Where the load generator runs (a CPU, or undefined: anywhere) and whether the collector isolates
 * its request thread; `why` says what was chosen, or why not.
 */
function cpuPlacement(loadgen: string): { loadgenCpu?: number; isolate: boolean; why: string } {
  if (ISOLATE === '0')
    return { isolate: false, why: 'none (BENCH_ISOLATE=0): default collector configuration, load generator anywhere' };
  const unavailable = (reason: string) => ({
    isolate: false,
    why: `none (${reason}): default collector configuration, load generator anywhere`,
  });
  if (loadgen !== 'wrk') return unavailable('autocannon runs in the bench process');
  let cpus: number[];
  try {
    cpus = allowedCpus();
  } catch (error) {
    return unavailable((error as Error).message);
  }
  if (cpus.length < 2) return unavailable('1 CPU');
  if (spawnSync('taskset', ['-V']).error) return unavailable('taskset not found: apt-get install util-linux');
  const loadgenCpu = cpus.at(-1)!;
  return {
    loadgenCpu,
    isolate: true,
    why:
      `load generator on CPU ${loadgenCpu}; collector with isolateRequestThread=true (request thread keeps CPU ` +
      `${cpus[0]}); BENCH_ISOLATE=0 for neither`,
  };
}

/** "request thread on CPU 0,1, 11 other threads on CPU 1", read from /proc. */
function threadPlacement(pid: number): string {
  const cpusOf = (tid: string): string => allowedCpus(`/proc/${pid}/task/${tid}/status`).join(',');
  const others = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`))
    if (tid !== String(pid)) others.set(cpusOf(tid), (others.get(cpusOf(tid)) ?? 0) + 1);
  const rest = [...others].map(([cpus, n]) => `${n} other threads on CPU ${cpus}`).join(', ');
  return `request thread on CPU ${cpusOf(String(pid))}, ${rest}`;
}

async function startCollector(
  root: string,
  isolate: boolean,
): Promise<{ child: ChildProcess; port: number; url: string }> {
  const port = await freePort();
  const config = path.join(root, 'config.properties');
  writeFileSync(
    config,
    `storage.class=com.dataiku.wt1.storage.FSStorageProcessor\nstorage.params.rootDir=${path.join(root, 'data')}\n` +
      `logLevel=warn\nshutdownTimeout=120\nisolateRequestThread=${isolate}\n`,
  );
  const child = spawn(
    process.execPath,
    [path.join(repo, 'bin/wt1'), 'serve', '--config', config, '--port', String(port), '--host', '127.0.0.1'],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/isAlive`)).ok) return { child, port, url };
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('wt1 did not start');
}

async function startBare(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(repo, 'dist/bench/bare-server.js'), '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = Number(await waitForLine(child));
  return { child, url: `http://127.0.0.1:${port}` };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const loadgen = chooseLoadGenerator(process.env.BENCH_LOADGEN);
  if ('error' in loadgen) {
    process.stderr.write(`${loadgen.error}\n`);
    process.exitCode = 1;
    return;
  }
  if (ISOLATE !== '0' && ISOLATE !== '1') {
    process.stderr.write(`BENCH_ISOLATE=${ISOLATE}: expected 1 or 0\n`);
    process.exitCode = 1;
    return;
  }
  if (loadgen.notice) process.stdout.write(`${loadgen.notice}\n`);
  const placement = cpuPlacement(loadgen.name);
  const load = (url: string, seconds: number): Promise<LoadResult> =>
    loadgen.run({ url, seconds, connections: CONNECTIONS, headers: HEADERS, cpu: placement.loadgenCpu });
  const root = mkdtempSync(path.join(tmpdir(), 'wt1-bench-'));
  const collector = await startCollector(root, placement.isolate);
  const bare = await startBare();
  const targets = {
    pixel: `${collector.url}/public/p.gif?${PIXEL_QUERY}`,
    nothing: `${collector.url}/public/nothing?${PIXEL_QUERY}`,
    bare: `${bare.url}/public/p.gif?${PIXEL_QUERY}`,
  } as const;
  type Name = keyof typeof targets;
  const results: Record<Name, LoadResult[]> = { pixel: [], nothing: [], bare: [] };
  // Server CPU per answered request: the number that does not depend on what else the machine runs.
  const cpuPerRequest: Record<Name, number[]> = { pixel: [], nothing: [], bare: [] };
  const pidOf = (name: Name): number => (name === 'bare' ? bare.child.pid! : collector.child.pid!);
  let pixelAnswered = 0;
  let pixelNon2xx = 0;
  try {
    process.stdout.write(
      `wt1 bench: ${ROUNDS} rounds x ${SECONDS} s per target, ${CONNECTIONS} connections, loopback\n`,
    );
    process.stdout.write(
      `load generator: ${loadgen.name}${loadgen.name === 'wrk' ? ' -t1' : ' (in the bench process)'}, ` +
        `${loadgen.version}\n`,
    );
    process.stdout.write(`CPU placement: ${placement.why}\n`);
    for (const name of Object.keys(targets) as Name[]) {
      // warm-up (JIT, file opening)
      const r = await load(targets[name], 2);
      if (name === 'pixel') {
        pixelAnswered += r.ok;
        pixelNon2xx += r.non2xx;
      }
    }
    if (process.platform === 'linux')
      process.stdout.write(`collector threads: ${threadPlacement(collector.child.pid!)}\n`);
    for (let round = 0; round < ROUNDS; round++) {
      const order = (['bare', 'nothing', 'pixel'] as Name[]).map((_, i, a) => a[(i + round) % a.length]);
      for (const name of order) {
        const cpuBefore = cpuMicros(pidOf(name));
        const r = await load(targets[name], SECONDS);
        cpuPerRequest[name].push((cpuMicros(pidOf(name)) - cpuBefore) / Math.max(1, r.ok));
        results[name].push(r);
        if (name === 'pixel') {
          pixelAnswered += r.ok;
          pixelNon2xx += r.non2xx;
        }
        process.stdout.write(
          `  round ${round + 1} ${name.padEnd(7)} ${Math.round(r.requestsPerSec).toString().padStart(6)} req/s  ` +
            `p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors + r.non2xx}  server CPU ` +
            `${cpuPerRequest[name].at(-1)!.toFixed(1)} µs/req  loadgen CPU ` +
            `${(r.loadgenCpuMicros / Math.max(1, r.total)).toFixed(1)} µs/req\n`,
        );
      }
    }
    const rss = peakRssMb(collector.child.pid!);
    const live = (await (await fetch(`${collector.url}/internal/live`)).json()) as {
      receivedEvents: number;
      processors: { storage: { dropped: number; failed: number } };
    };
    collector.child.kill('SIGTERM');
    const [code] = (await once(collector.child, 'exit')) as [number];
    const lines = readAllRows(path.join(root, 'data')).length;

    const summary = (name: Name): { rps: number; p50: number; p99: number; cpu: number } => {
      const rs = results[name];
      return {
        rps: median(rs.map((r) => r.requestsPerSec)),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.p99)),
        cpu: median(cpuPerRequest[name]),
      };
    };
    const pixel = summary('pixel');
    const nothing = summary('nothing');
    const bareS = summary('bare');
    const row = (label: string, s: { rps: number; p50: number; p99: number; cpu: number }): string =>
      `| ${label} | ${Math.round(s.rps)} | ${s.p50} | ${s.p99} | ${s.cpu.toFixed(1)} |`;
    const allWritten = lines === live.receivedEvents && lines >= pixelAnswered;
    process.stdout.write(
      [
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
        `pixels answered 200 = ${pixelAnswered}, non-2xx = ${pixelNon2xx}; received = ${live.receivedEvents}, ` +
          `dropped = ${live.processors.storage.dropped}, failed = ${live.processors.storage.failed}`,
        // The load generator stops counting at the deadline: requests then in flight were received but not counted.
        `lines in the files after SIGTERM = ${lines}: ${allWritten ? 'every answered pixel written' : 'MISMATCH'}; ` +
          `exit code ${code}`,
        '',
      ].join('\n'),
    );
    if (lines !== live.receivedEvents || lines < pixelAnswered || code !== 0) process.exitCode = 1;
  } finally {
    collector.child.kill('SIGKILL');
    bare.child.kill('SIGTERM');
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
