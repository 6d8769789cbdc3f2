#!/usr/bin/env node
// The build is incremental (tsc keeps dist/.tsbuildinfo and re-emits only what changed), so it
// no longer deletes dist/ first. A source deleted or renamed would leave its old .js in dist/ (a
// deleted test would still run, a deleted module could still be imported): this removes every
// compiled file of dist/{src,test,bench} whose .ts source is gone. Files that tsc does not write
// (the snippet and live-page bundles) live elsewhere in dist/ and are not touched.
// Usage: node scripts/clean-stale.mjs   (a missing dist/ is fine: nothing to clean)
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

const OUTPUT = /\.(?:js|js\.map|d\.ts|d\.ts\.map)$/;
let removed = 0;
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      walk(full);
      if (readdirSync(full).length === 0) rmSync(full, { recursive: true });
      continue;
    }
    if (!OUTPUT.test(name)) continue;
    const source = path.relative('dist', full).replace(OUTPUT, '.ts');
    if (!existsSync(source)) {
      rmSync(full);
      removed++;
    }
  }
};
for (const folder of ['src', 'test', 'bench']) {
  const dir = path.join('dist', folder);
  if (existsSync(dir)) walk(dir);
}
if (removed > 0) console.log(`clean-stale: removed ${removed} compiled file(s) whose source is gone`);
