#!/usr/bin/env node
// `npm ci` / `npm install` run the `prepare` script in the package folder, and so do production
// installs (`npm ci --omit=dev`, App Engine's reinstall of the production dependencies after its
// build step). `npm pack` runs it too, so the tarball holds dist/. Production installs have no
// TypeScript: keep the dist/ built earlier instead of deleting it and failing. With TypeScript
// installed, build as usual.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';

// Installed as a package (npm install wt1, or its tarball from `npm pack`): dist/ came built in the
// tarball (`npm pack` runs this script in the checkout first), and there is no source to build.
if (!existsSync('tsconfig.json') || !existsSync('src')) process.exit(0);

const require = createRequire(import.meta.url);
try {
  require.resolve('typescript');
} catch {
  if (existsSync('dist/src/cli/main.js')) {
    console.log('wt1: TypeScript is not installed (a production install): keeping the dist/ built earlier');
    process.exit(0);
  }
  console.error(
    'wt1: cannot build: TypeScript is not installed and dist/ is missing. Run `npm ci` (with the dev ' +
      'dependencies), then `npm run build`.',
  );
  process.exit(1);
}
const result = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(result.status ?? 1);
