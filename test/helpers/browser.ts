import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian and friends put Chromium; CHROMIUM_PATH comes first when set. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

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
  if (process.env.CHROMIUM_PATH) throw new Error(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist. ${INSTALL_HINT}`);
  if (process.getuid?.() === 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env, timeout: 300_000 });
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env, timeout: 600_000 });
    const installed = findExecutable();
    if (installed) return installed;
    throw new Error(`apt-get install chromium failed. ${INSTALL_HINT}`);
  }
  throw new Error(`Chromium not found (looked at ${CANDIDATES.join(', ')}). ${INSTALL_HINT}`);
}

/**
 * Launches headless Chromium through playwright-core (which gives it a fresh temporary
 * user-data-dir). Close it in a `finally` / `after`.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}
