/**
 * wrk (https://github.com/wg/wrk, Debian package `wrk`) as the bench's load generator: a C program
 * that needs a few µs of CPU per request where autocannon needs about 12, so on a 2-core machine it
 * leaves the server most of a core. Run as a child process; its text report is parsed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { endedChildrenCpuMicros } from './proc.js';
import type { LoadOptions, LoadResult } from './load-result.js';

export interface WrkReport {
  /** "N requests in ...": complete responses, any status. */
  requests: number;
  requestsPerSec: number;
  /** From the --latency distribution, in ms, 2 decimals. */
  p50Ms: number;
  p99Ms: number;
  /** "Non-2xx or 3xx responses: N" (wrk counts statuses >= 400); 0 when the line is absent. */
  non2xx: number;
  /** "Socket errors: connect A, read B, write C, timeout D"; all 0 when the line is absent. */
  socketErrors: { connect: number; read: number; write: number; timeout: number };
}

/** wrk prints durations as e.g. 68.00us, 1.20ms, 2.00s (and m, h for very long ones). */
const MS_PER_UNIT: Record<string, number> = { us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

function latencyPercentile(text: string, percent: number): number {
  const m = new RegExp(`^\\s*${percent}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(text);
  if (!m) throw new Error(`wrk output has no ${percent}% latency line (was --latency given?)`);
  return Math.round(Number(m[1]) * MS_PER_UNIT[m[2]] * 100) / 100;
}

/** Parses the report wrk prints with --latency. Throws when a required line is missing. */
export function parseWrkOutput(text: string): WrkReport {
  const requests = /^\s*(\d+) requests in /m.exec(text);
  const perSec = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  if (!requests || !perSec) throw new Error(`not a wrk report:\n${text}`);
  const non2xx = /^\s*Non-2xx or 3xx responses:\s+(\d+)/m.exec(text);
  const socket = /^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/m.exec(text);
  return {
    requests: Number(requests[1]),
    requestsPerSec: Number(perSec[1]),
    p50Ms: latencyPercentile(text, 50),
    p99Ms: latencyPercentile(text, 99),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: socket
      ? { connect: Number(socket[1]), read: Number(socket[2]), write: Number(socket[3]), timeout: Number(socket[4]) }
      : { connect: 0, read: 0, write: 0, timeout: 0 },
  };
}

/** wrk's version line ("wrk debian/4.1.0-3+b2 [epoll] Copyright ..."); wrk -v exits 1 after it. */
export function wrkVersion(): string {
  const out = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  return (out.stdout || out.stderr || '').split('\n')[0].trim();
}

/** One wrk run (one thread, keep-alive connections); resolves when wrk has exited. */
export async function runWrk(opts: LoadOptions): Promise<LoadResult> {
  const args = ['-t1', `-c${opts.connections}`, `-d${opts.seconds}s`, '--latency'];
  for (const [name, value] of Object.entries(opts.headers)) args.push('-H', `${name}: ${value}`);
  args.push(opts.url);
  const cpuBefore = endedChildrenCpuMicros();
  const child =
    opts.cpu === undefined
      ? spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : // taskset execs wrk
        spawn('taskset', ['-c', String(opts.cpu), 'wrk', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    err += s;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c));
  });
  // Read after 'close', which comes after Node has waited for wrk: its CPU time is now counted.
  const loadgenCpuMicros = endedChildrenCpuMicros() - cpuBefore;
  if (code !== 0) throw new Error(`wrk ${args.join(' ')} exited with ${code}:\n${out}${err}`);
  const report = parseWrkOutput(out);
  const { connect, read, write, timeout } = report.socketErrors;
  return {
    total: report.requests,
    requestsPerSec: report.requestsPerSec,
    p50: report.p50Ms,
    p99: report.p99Ms,
    ok: report.requests - report.non2xx,
    non2xx: report.non2xx,
    errors: connect + read + write + timeout,
    loadgenCpuMicros,
  };
}
