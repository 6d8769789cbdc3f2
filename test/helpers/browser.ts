import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian and friends put Chromium; CHROMIUM_PATH comes first when set. */
const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

const INSTALL_HINT =
  'Chromium is needed by the browser tests: install it with `sudo apt-get install -y chromium` (Debian/Ubuntu; ' +
  '.ci/run does it on CI), or set CHROMIUM_PATH to a Chromium or Chrome executable.';

/** Flags for a quiet, reproducible headless Chromium in a container (no sandbox, no GPU, no background traffic). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A normal desktop Chrome User-Agent, so nothing in the page or the collector sees "HeadlessChrome". */
export const DESKTOP_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

function findExecutable(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  return CANDIDATES.find((file) => existsSync(file));
}

/**
 * The Chromium executable. When it is missing and we are root, `apt-get install -y chromium` is
 * tried once; otherwise (or when that fails) this throws, saying how to install it.
 */
export function findChromium(): string {
  const found = findExecutable();
  if (found) return found;
  if (process.env.CHROMIUM_PATH)
    throw new Error(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist. ${INSTALL_HINT}`);
  if (process.getuid?.() === 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env, timeout: 300_000 });
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
      stdio: 'inherit',
      env,
      timeout: 600_000,
    });
    const installed = findExecutable();
    if (installed) return installed;
    throw new Error(`apt-get install chromium failed. ${INSTALL_HINT}`);
  }
  throw new Error(`Chromium not found (looked at ${CANDIDATES.join(', ')}). ${INSTALL_HINT}`);
}

export interface LaunchOptions {
  /**
   * User-Agent for the whole browser (`--user-agent`). Set it as well as the context's
   * `userAgent`: requests that outlive their page (sendBeacon / keepalive while navigating away)
   * leave the page's emulation and would carry the real "HeadlessChrome" one.
   */
  readonly userAgent?: string;
  /** Browser language (`--lang`), for the same reason as `userAgent`. */
  readonly lang?: string;
  /** Host names resolved to 127.0.0.1, for pages that need a real domain (domain cookies). */
  readonly loopbackHosts?: readonly string[];
  /**
   * More command-line flags (e.g. `--disable-blink-features=AutomationControlled`, which trackers that drop automated
   * browsers need).
   */
  readonly extraArgs?: readonly string[];
}

/**
 * Launches headless Chromium through playwright-core (which adds `--headless` and gives it a
 * fresh temporary user-data-dir). Close it in a `finally` / `after`.
 */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const executablePath = findChromium();
  const args = [...CHROMIUM_ARGS];
  if (options.userAgent) args.push(`--user-agent=${options.userAgent}`);
  if (options.extraArgs) args.push(...options.extraArgs);
  if (options.lang) args.push(`--lang=${options.lang}`, `--accept-lang=${options.lang}`);
  if (options.loopbackHosts?.length)
    args.push(`--host-resolver-rules=${options.loopbackHosts.map((h) => `MAP ${h} 127.0.0.1`).join(', ')}`);
  return chromium.launch({ executablePath, headless: true, args, timeout: 60_000 });
}

export interface Site {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Serves fixed HTML pages (path without query -> HTML) on a free loopback port: the "customer
 * site" a browser test loads, on an origin other than the collector's.
 */
export async function startSite(pages: Readonly<Record<string, string>>): Promise<Site> {
  const server = createServer((req, res) => {
    const html = pages[(req.url ?? '/').split('?')[0]];
    if (html === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(html);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
