import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

export const WT1_BIN = fileURLToPath(new URL('../../../bin/wt1', import.meta.url));

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

export interface Wt1Process {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** Everything the process wrote so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
}

/**
 * Runs `bin/wt1 serve ...args` as a real child process, as a user would, and waits until it
 * answers /isAlive. The port is chosen here unless args set one. With `portFromEnv` the port and
 * address go in the `PORT` and `HOST` variables, as a PaaS sets them, instead of flags. `wrapper`
 * runs it under another command, e.g. ['taskset', '-c', '0'].
 */
export async function spawnWt1(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; port?: number; portFromEnv?: boolean; wrapper?: string[] } = {},
): Promise<Wt1Process> {
  const port = options.port ?? (await freePort());
  const where = options.portFromEnv ? [] : ['--port', String(port), '--host', '127.0.0.1'];
  const placeEnv = options.portFromEnv ? { PORT: String(port), HOST: '127.0.0.1' } : {};
  const [command, ...commandArgs] = [...(options.wrapper ?? []), process.execPath, WT1_BIN, 'serve', ...where, ...args];
  const child = spawn(command, commandArgs, {
    cwd: options.cwd,
    env: { ...process.env, ...placeEnv, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const done = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 50)),
    ]);
    if (done) throw new Error(`wt1 exited before listening:\n${out}`);
    try {
      const res = await fetch(`${url}/isAlive`);
      if (res.status === 200 || res.status === 503) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`wt1 did not answer within 15 s:\n${out}`);
    }
  }
  return { child, port, url, output: () => out, exited };
}

/** Runs `bin/wt1 ...args` to completion and returns its exit code and output. */
export async function runWt1(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [WT1_BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const code = await new Promise<number | string>((resolve) => child.on('exit', (c, s) => resolve(c ?? s ?? -1)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Resident memory of a process, in bytes, from /proc/PID/status (Linux). */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Samples a process's resident memory every `intervalMs` until stopped; returns the peak. */
export function sampleResidentPeak(pid: number, intervalMs = 10): { stop(): number } {
  let peak = residentBytes(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, residentBytes(pid));
    } catch {
      /* exited */
    }
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      try {
        peak = Math.max(peak, residentBytes(pid));
      } catch {
        /* exited */
      }
      return peak;
    },
  };
}

/** Stops a spawned wt1 with SIGTERM (its graceful shutdown) and waits for it, SIGKILL after `timeoutMs`. */
export async function stopWt1(p: Wt1Process, timeoutMs = 15_000): Promise<number | string> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.exited;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}
