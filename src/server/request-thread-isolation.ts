/**
 * `isolateRequestThread=true` (Linux): keeps one CPU for the request thread alone.
 *
 * The request thread is what limits the pixel's throughput. On a small machine, whenever the
 * storage thread, the libuv pool (gzip) or V8's helper threads are woken on its CPU, it waits its
 * turn: measured on 2 vCPUs, it spent 11 % of the time runnable but not running. Confining every
 * other thread of the process to the remaining CPUs gives it its CPU back (docs/benchmarks.md).
 *
 * Node has no affinity API, so this runs util-linux's `taskset` (execFile, fixed arguments, no
 * shell): first every thread of the process onto the other CPUs, then the request thread back onto
 * all of them. A thread started later by the request thread inherits all CPUs: the collector applies
 * this again after starting a new storage thread.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface Isolation {
  /** The CPU left to the request thread alone (the first one this process may use). */
  readonly requestThreadCpu: number;
  /** Where every other thread of the process now runs. */
  readonly otherThreadsCpus: readonly number[];
  /** How many other threads were confined. */
  readonly otherThreads: number;
}

/** Why isolation could not be applied; the collector logs it and runs on without it. */
export class IsolationUnavailable extends Error {}

/** "0-3,6,8-9" (the kernel's list format) -> [0, 1, 2, 3, 6, 8, 9]. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`not a CPU list: ${JSON.stringify(list)}`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let cpu = from; cpu <= to; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs a thread may run on, from its /proc status file (Linux; by default this process's first thread). */
export function allowedCpus(statusFile = '/proc/self/status'): number[] {
  let status: string;
  try {
    status = readFileSync(statusFile, 'utf8');
  } catch {
    throw new IsolationUnavailable(`needs Linux: ${statusFile} cannot be read`);
  }
  const m = /^Cpus_allowed_list:\s*(\S+)$/m.exec(status);
  if (!m) throw new IsolationUnavailable(`${statusFile} has no Cpus_allowed_list line`);
  return parseCpuList(m[1]);
}

/** The process's CPUs as found the first time: later calls must not read back their own pinning. */
let processCpus: number[] | undefined;

export async function isolateRequestThread(): Promise<Isolation> {
  const cpus = (processCpus ??= allowedCpus());
  if (cpus.length < 2)
    throw new IsolationUnavailable(`needs at least 2 CPUs; this process may only use CPU ${cpus.join(',')}`);
  const [requestThreadCpu, ...others] = cpus;
  const pid = String(process.pid);
  await taskset(['-a', '-p', '-c', others.join(','), pid]); // every thread, the request thread too
  await taskset(['-p', '-c', cpus.join(','), pid]); // the request thread (the process's first) back
  return { requestThreadCpu, otherThreadsCpus: others, otherThreads: readdirSync('/proc/self/task').length - 1 };
}

function taskset(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('taskset', args, { timeout: 5000 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new IsolationUnavailable('taskset not found: install util-linux (apt-get install util-linux)'));
      }
      reject(new IsolationUnavailable(`taskset ${args.join(' ')} failed: ${String(stderr).trim() || error.message}`));
    });
  });
}
