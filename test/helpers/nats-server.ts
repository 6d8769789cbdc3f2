import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './process.js';

export interface NatsTestServer {
  /** `nats://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** JetStream store folder, kept across `restart`. */
  readonly storeDir: string;
  /** Kills the server (SIGKILL by default: a crash) and waits for its exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and store (after `kill`). */
  restart(): Promise<void>;
  /** Stops it for good and removes its store. */
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'nats-server is not installed: install it with `apt-get install nats-server` (Debian/Ubuntu; .ci/run does it) or ' +
  'from https://github.com/nats-io/nats-server/releases';

/**
 * Starts a real `nats-server -js` on a free 127.0.0.1 port with a temporary store folder, and
 * waits until it is ready. Fails with how to install it when the binary is missing.
 */
export async function startNatsServer(): Promise<NatsTestServer> {
  const port = await freePort();
  const storeDir = mkdtempSync(path.join(tmpdir(), 'wt1-nats-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    const proc = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`nats-server did not get ready within 15 s:\n${output}`));
      }, 15_000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(e.code === 'ENOENT' ? new Error(INSTALL_HINT) : e);
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited (${code}) before it was ready:\n${output}`));
      });
    });
    child = proc;
  };
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc) return;
    proc.kill(signal);
    await exited;
  };

  await start().catch((e: unknown) => {
    rmSync(storeDir, { recursive: true, force: true });
    throw e;
  });
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    stop: async () => {
      await kill('SIGTERM');
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
