import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './process.js';
import { tempDir, removeDir } from './server.js';

export interface HaproxyBackend {
  readonly name: string;
  readonly port: number;
}

export interface Haproxy {
  readonly url: string;
  readonly port: number;
  readonly config: string;
  output(): string;
  stop(): Promise<void>;
}

/** The haproxy binary, or an error telling how to install it (tests fail with it, never skip). */
export function haproxyBinary(): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, 'haproxy');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  throw new Error(
    'haproxy is not installed: on Debian/Ubuntu run `sudo apt-get install haproxy` (CI installs it in .ci/run)',
  );
}

/**
 * The configuration documented in docs/scaling.md, with test timings: round-robin over the
 * collectors, a health check on /isAlive every `checkIntervalMs` (a node answering 503 because of
 * its maintenanceFile, or not answering, is out after 2 failed checks), and failed requests retried
 * on another node.
 */
export function haproxyConfig(listenPort: number, backends: readonly HaproxyBackend[], checkIntervalMs = 200): string {
  return `global
    maxconn 2000

defaults
    mode http
    option forwardfor
    timeout connect 500ms
    timeout client 10s
    timeout server 5s
    timeout check 500ms
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout

frontend wt1_in
    bind 127.0.0.1:${listenPort}
    default_backend wt1

backend wt1
    balance roundrobin
    option httpchk
    http-check send meth GET uri /isAlive
    http-check expect status 200
    default-server inter ${checkIntervalMs}ms fastinter ${checkIntervalMs}ms downinter ${checkIntervalMs}ms \
fall 2 rise 2
${backends.map((b) => `    server ${b.name} 127.0.0.1:${b.port} check`).join('\n')}
`;
}

/** Starts `haproxy -f CONFIG -db` in the foreground on a free loopback port; waits until it serves. */
export async function startHaproxy(
  backends: readonly HaproxyBackend[],
  options: { checkIntervalMs?: number } = {},
): Promise<Haproxy> {
  const binary = haproxyBinary();
  const dir = tempDir('wt1-haproxy-');
  const port = await freePort();
  const config = path.join(dir, 'haproxy.cfg');
  writeFileSync(config, haproxyConfig(port, backends, options.checkIntervalMs));
  const child: ChildProcess = spawn(binary, ['-f', config, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exit;
      clearTimeout(timer);
    }
    removeDir(dir);
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`haproxy exited at start:\n${out}`);
    }
    try {
      const res = await fetch(`${url}/isAlive`);
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`haproxy did not serve within 10 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, port, config, output: () => out, stop };
}
