#!/usr/bin/env node
// Bundles and minifies the browser snippet (src/snippet/main.ts) into dist/snippet/track.js, prints
// its size and fails the build when it is over the budget (gzipped). The collector injects its
// sessionExpiration and paths in place of the __WT1_*__ placeholders when it loads the file; the size checked
// is that of the script as the collector serves it (renderSnippet, from dist/: runs after tsc).
// Options (for the test of this script): --outfile FILE, --budget BYTES.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  PIXEL_PATH_PLACEHOLDER,
  renderSnippet,
  SCRIPT_PATH_PLACEHOLDER,
  SESSION_EXPIRATION_PLACEHOLDER,
} from '../dist/src/server/routes/snippet.js';

const { values } = parseArgs({ options: { outfile: { type: 'string' }, budget: { type: 'string' } } });
const BUDGET_GZIPPED = values.budget ? Number(values.budget) : 2048;
const outfile = values.outfile ?? 'dist/snippet/track.js';

await build({
  entryPoints: ['src/snippet/main.ts'],
  outfile,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2019'],
  legalComments: 'none',
  logLevel: 'warning',
});

const code = readFileSync(outfile, 'utf8');
for (const placeholder of [SESSION_EXPIRATION_PLACEHOLDER, PIXEL_PATH_PLACEHOLDER, SCRIPT_PATH_PLACEHOLDER]) {
  const occurrences = code.split(placeholder).length - 1;
  if (occurrences !== 1) {
    console.error(`build-snippet: ${outfile} must contain ${placeholder} exactly once, found ${occurrences}`);
    process.exit(1);
  }
}
// Measure what browsers download: the served form, with the default sessionExpiration.
const served = renderSnippet(code, 1800);
const size = served.body.length;
const gzipped = served.gzipped.length;
const verdict = gzipped <= BUDGET_GZIPPED ? 'within' : 'OVER';
console.log(
  `build-snippet: ${outfile}: ${size} bytes, ${gzipped} bytes gzipped (${verdict} the budget of ${BUDGET_GZIPPED})`,
);
if (gzipped > BUDGET_GZIPPED) process.exit(1);
