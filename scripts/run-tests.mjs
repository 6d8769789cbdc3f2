#!/usr/bin/env node
// Runs the compiled test files (dist/test/**/*.test.js) with node's test runner, one file at a
// time (the integration tests start servers and browsers; 2 cores do not like them in parallel).
// Usage: node scripts/run-tests.mjs [substring ...]  (only files whose path contains one of them)
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve('dist/test');
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) walk(full);
    else if (name.endsWith('.test.js')) files.push(full);
  }
};
walk(root);
const filters = process.argv.slice(2);
const selected = files.sort().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (selected.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// A hung test fails after 5 minutes, and the whole run after 45, instead of eating CI's 90 minutes.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=300000', ...selected], {
  stdio: 'inherit',
  timeout: 45 * 60 * 1000,
  killSignal: 'SIGKILL',
});
if (result.error) console.error(`test run stopped: ${result.error.message}`);
process.exit(result.status ?? 1);
