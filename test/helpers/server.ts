import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUILTIN_PLUGINS, validateConfig } from '../../src/server/plugins.js';
import type { RawValue } from '../../src/config/spec.js';
import { createCollector, type Collector, type CollectorOptions } from '../../src/server/app.js';

export function tempDir(prefix = 'wt1-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly root: string;
  readonly collector: Collector;
  stop(): Promise<void>;
}

/**
 * Starts a real collector in this process on a free loopback port, storing under a fresh temp
 * folder. `keys` are config keys as in a config.properties file; `options` can inject a clock
 * (`now`), a logger, or handlers and engines beyond the shipped ones (`withHandlers`, `withEngines`).
 */
export async function startTestServer(
  keys: Record<string, RawValue> = {},
  options: CollectorOptions = {},
): Promise<TestServer> {
  const root = (keys['storage.params.rootDir'] as string | undefined) ?? tempDir();
  // rootDir is a param of the filesystem engine only.
  const storageClass = String(keys['storage.class'] ?? 'fs');
  const usesRoot = storageClass === 'fs' || storageClass.endsWith('.FSStorageProcessor');
  const config = validateConfig(
    new Map<string, RawValue>(
      Object.entries({
        port: 0,
        host: '127.0.0.1',
        ...(usesRoot ? { 'storage.params.rootDir': root } : {}),
        ...keys,
      }),
    ),
    {
      ...BUILTIN_PLUGINS,
      handlers: options.handlers ?? BUILTIN_PLUGINS.handlers,
      engines: options.engines ?? BUILTIN_PLUGINS.engines,
    },
  );
  const collector = createCollector(config, options);
  const port = await collector.start();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    root,
    collector,
    stop: () => collector.stop(),
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Waits (polling, bounded) until the collector has received at least `count` events; returns the count. */
export async function waitForReceived(server: TestServer, count: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const received = server.collector.context.dispatcher.received;
    if (received >= count) return received;
    if (Date.now() > deadline)
      throw new Error(`the collector received ${received} events, expected ${count} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs `run` against a fresh test server, then stops it and removes its folder, even on failure. */
export async function withServer(
  keys: Record<string, RawValue>,
  run: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startTestServer(keys);
  try {
    await run(server);
  } finally {
    await server.stop();
    removeDir(server.root);
  }
}
