#!/usr/bin/env node
// Bundles and minifies the browser snippet (src/snippet/main.ts) into dist/snippet/track.js, prints
// its size and fails the build when it is over the budget (gzipped). The collector injects its
// sessionExpiration in place of __WT1_SESSION_EXPIRATION__ when it loads the file.
// Options (for the test of this script): --outfile FILE, --budget BYTES.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const { values } = parseArgs({ options: { outfile: { type: 'string' }, budget: { type: 'string' } } });
const BUDGET_GZIPPED = values.budget ? Number(values.budget) : 2048;
const PLACEHOLDER = '__WT1_SESSION_EXPIRATION__';
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
const occurrences = code.split(PLACEHOLDER).length - 1;
if (occurrences !== 1) {
  console.error(`build-snippet: ${outfile} must contain ${PLACEHOLDER} exactly once, found ${occurrences}`);
  process.exit(1);
}
// Measure what browsers download: the served form, with a realistic number in place of the placeholder.
const served = Buffer.from(code.replace(PLACEHOLDER, '1800'));
const gzipped = gzipSync(served, { level: 9 }).length;
const verdict = gzipped <= BUDGET_GZIPPED ? 'within' : 'OVER';
console.log(`build-snippet: ${outfile}: ${served.length} bytes, ${gzipped} bytes gzipped (${verdict} the budget of ${BUDGET_GZIPPED})`);
if (gzipped > BUDGET_GZIPPED) process.exit(1);
