import { readFileSync } from 'node:fs';

/** The package version, read once (shown by `wt1 --version` and the wt1_info metric). */
export const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
