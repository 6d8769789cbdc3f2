#!/usr/bin/env node
// Runs the compiled test files (dist/test/**/*.test.js) with node's test runner, in two lanes that
// run at the same time:
// - integration: files that start servers, browsers, child processes or threads, one at a time
//   (2 cores do not like several browsers and collectors at once, and their timings suffer);
// - unit: every other file, several at a time.
// A file's lane is decided from what it imports, never by hand: it is an integration test when it,
// or any file it imports through relative paths (test helpers, src/), imports one of
// INTEGRATION_MODULES below (type-only imports do not count: tsc erases them). So a new test file
// lands in the right lane without anyone listing it.
// Stack traces point at the .ts sources (--enable-source-maps, also for the processes tests spawn).
// Usage: node scripts/run-tests.mjs [--lanes] [substring ...]
//   substring: only files whose path contains one of them; --lanes: print each file's lane and stop.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';

// Importing one of these means the test starts something beside itself or listens on a port.
// node:net is not here: src/event imports it for isIP; its sockets need a server from this list.
const INTEGRATION_MODULES = new Set([
  'node:child_process',
  'node:cluster',
  'node:worker_threads',
  'node:http',
  'node:https',
  'node:http2',
  'node:dgram',
  'playwright-core',
  's3rver',
]);

const root = path.resolve('dist/test');
if (!existsSync(root)) {
  console.error('run-tests: dist/test is missing: run `npm run build` first');
  process.exit(1);
}
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) walk(full);
    else if (name.endsWith('.test.js')) files.push(full);
  }
};
walk(root);

const args = process.argv.slice(2);
const printLanes = args.includes('--lanes');
const filters = args.filter((a) => a !== '--lanes');
const selected = files.sort().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (selected.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s*(?:[\w*{}\s,$]+?\s*from\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const memo = new Map();
/**
 * Why `file` is an integration test: the import chain from it to an INTEGRATION_MODULES entry,
 * through relative imports (test helpers, src/), or null when there is none.
 */
function reason(file, seen = new Set()) {
  if (memo.has(file)) return memo.get(file);
  if (seen.has(file) || !existsSync(file)) return null;
  seen.add(file);
  let chain = null;
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    const pkg = spec
      .split('/')
      .slice(0, spec.startsWith('@') ? 2 : 1)
      .join('/');
    if (INTEGRATION_MODULES.has(spec) || INTEGRATION_MODULES.has(pkg)) chain = [spec];
    else if (spec.startsWith('.')) {
      const target = path.resolve(path.dirname(file), spec);
      const rest = reason(target, seen);
      if (rest) chain = [path.relative('dist', target), ...rest];
    }
    if (chain) break;
  }
  memo.set(file, chain);
  return chain;
}

const integration = selected.filter((f) => reason(f) !== null);
const unit = selected.filter((f) => !integration.includes(f));
if (printLanes) {
  for (const f of selected) {
    const chain = reason(f);
    console.log(
      `${chain ? 'integration' : 'unit       '} ${path.relative(root, f)}${chain ? `  (${chain.join(' > ')})` : ''}`,
    );
  }
  console.log(`${unit.length} unit, ${integration.length} integration`);
  process.exit(0);
}

const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --enable-source-maps`.trim() };
const reporter = process.stdout.isTTY ? ['--test-reporter=spec'] : [];
// A hung test fails after 5 minutes, and the whole run after 45, instead of eating CI's 90 minutes.
function lane(name, laneFiles, concurrency, stream) {
  if (laneFiles.length === 0) return Promise.resolve({ name, code: 0, output: '' });
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--test', ...reporter, `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...laneFiles],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const timer = setTimeout(
      () => {
        console.error(`run-tests: the ${name} lane took over 45 minutes: stopped`);
        child.kill('SIGKILL');
      },
      45 * 60 * 1000,
    );
    let output = '';
    const take = (d) => {
      output += d;
      if (stream) process.stdout.write(d);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ name, code: code ?? 1, output });
    });
  });
}

// The integration lane (the long one) prints as it goes; the unit lane's report is printed whole
// once the integration lane is done, so the two never interleave.
const started = Date.now();
const unitRun = lane('unit', unit, Math.max(2, availableParallelism()), false);
console.log(`# ---- integration lane: ${integration.length} files, one at a time ----`);
const integrationResult = await lane('integration', integration, 1, true);
const unitResult = await unitRun;
console.log(`\n# ---- unit lane: ${unit.length} files, ${Math.max(2, availableParallelism())} at a time ----`);
process.stdout.write(unitResult.output);
const count = (word) =>
  [unitResult, integrationResult].reduce((n, r) => {
    const m = r.output.match(new RegExp(`^(?:#|\u2139) ${word} (\\d+)$`, 'm'));
    return n + (m ? Number(m[1]) : 0);
  }, 0);
const seconds = ((Date.now() - started) / 1000).toFixed(1);
const failedLanes = [unitResult, integrationResult].filter((r) => r.code !== 0).map((r) => r.name);
console.log(`\n# run-tests: ${seconds} s; lanes failed: ${failedLanes.join(', ') || 'none'}`);
console.log(`tests: ${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped`);
process.exit(failedLanes.length ? 1 : 0);
