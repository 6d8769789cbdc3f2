#!/usr/bin/env node
// Bundles the live page's script (src/server/live-page/page/main.ts, type-checked by its own
// tsconfig in `npm run build`) into dist/live-page/live-page.js, with esbuild like the snippet.
// Not minified: it is an operator's page, read in the browser's debugger more than downloaded.
// The page imports the /internal/live types from the server code with `import type` only: a value
// import of server code would pull Node modules into the bundle, so the bundle must not grow one.
import { build } from 'esbuild';

const result = await build({
  entryPoints: ['src/server/live-page/page/main.ts'],
  outfile: 'dist/live-page/live-page.js',
  bundle: true,
  format: 'iife',
  target: ['es2020'],
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
const inputs = Object.keys(result.metafile.inputs);
const outside = inputs.filter((f) => !f.startsWith('src/server/live-page/page/'));
if (outside.length > 0) {
  console.error(
    `build-live-page: the page bundles code from outside its folder (use import type): ${outside.join(', ')}`,
  );
  process.exit(1);
}
console.log(`build-live-page: dist/live-page/live-page.js from ${inputs.length} files`);
