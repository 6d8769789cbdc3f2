#!/usr/bin/env node
// The two size rules of the team's guide that no linter checks: no source file over MAX_LINES
// lines (a longer file does several jobs: split it), and no line over MAX_WIDTH characters (the
// formatter's lineWidth in biome.json; it cannot break strings and comments: rewrap those).
// Files the formatter leaves alone (biome.json overrides with the formatter off: they would pass
// MAX_LINES once formatted, so they are split first) are exempt from the width rule only.
// Usage: node scripts/check-source.mjs [--no-width]   (--no-width: only the file length)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const MAX_LINES = 400;
const biome = JSON.parse(readFileSync('biome.json', 'utf8'));
const MAX_WIDTH = biome.formatter.lineWidth;
const FOLDERS = ['src', 'test', 'bench', 'scripts'];
const EXTENSIONS = new Set(['.ts', '.js', '.mjs', '.cjs', '.css', '.html']);
const checkWidth = !process.argv.includes('--no-width');
const unformatted = new Set(
  (biome.overrides ?? []).filter((o) => o.formatter?.enabled === false).flatMap((o) => o.includes ?? []),
);

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') continue;
    if (statSync(full).isDirectory()) walk(full);
    else if (EXTENSIONS.has(path.extname(name))) files.push(full);
  }
};
for (const folder of FOLDERS) walk(folder);

const problems = [];
for (const file of files.sort()) {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length > MAX_LINES) problems.push(`${file}: ${lines.length} lines (at most ${MAX_LINES}: split it)`);
  if (!checkWidth || unformatted.has(file.split(path.sep).join('/'))) continue;
  lines.forEach((line, i) => {
    if (line.length > MAX_WIDTH) problems.push(`${file}:${i + 1}: ${line.length} characters (at most ${MAX_WIDTH})`);
  });
}
if (problems.length > 0) {
  console.error(`check-source: ${problems.length} problem(s):\n${problems.join('\n')}`);
  process.exit(1);
}
const width = checkWidth ? ` or ${MAX_WIDTH} characters a line` : '';
const exempt = checkWidth && unformatted.size > 0 ? ` (${unformatted.size} unformatted files: no width check)` : '';
console.log(`check-source: ${files.length} files, none over ${MAX_LINES} lines${width}${exempt}`);
