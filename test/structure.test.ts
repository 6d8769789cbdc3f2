import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The shape of the code, checked on every run (issue 14): no import cycle between source files,
// and imports point one way along the layers of docs/architecture.md. Imports are read from the
// sources, type-only ones included ("a lower folder never imports a higher one, even for a type").
// The 400-line limit is checked by `npm run lint` (scripts/check-source.mjs).

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Known debts, each with who removes it. An entry here does not fail the test; a new cycle does.
 * Remove the entry with the fix.
 */
const KNOWN_CYCLES: readonly string[] = [];
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, dir))) {
    const rel = path.posix.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out.sort();
}

/** Relative specifiers of `import ... from`, `export ... from`, `import '...'` and `import('...')`. */
export function importsOf(code: string): string[] {
  const specifiers: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) if (m[1].startsWith('.')) specifiers.push(m[1]);
  return specifiers;
}

function graph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  const edges = new Map<string, string[]>();
  for (const file of files) {
    // Comments may quote imports: drop them (line comments and blocks) before scanning.
    const code = readFileSync(path.join(root, file), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    const targets = importsOf(code).map((s) =>
      path.posix.normalize(path.posix.join(path.posix.dirname(file), s)).replace(/\.js$/, '.ts'),
    );
    edges.set(file, [...new Set(targets.filter((t) => known.has(t)))]);
  }
  return edges;
}

/** Strongly connected components of more than one file (or a file importing itself): the cycles. */
export function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!indices.has(v)) visit(v);
  return found;
}

test('the cycle finder finds a cycle through three files and none in a chain', () => {
  assert.deepEqual(
    cycles(
      new Map([
        ['a', ['b']],
        ['b', ['c']],
        ['c', ['a']],
        ['d', ['a']],
      ]),
    ),
    [['a', 'b', 'c']],
  );
  assert.deepEqual(
    cycles(
      new Map([
        ['a', ['b']],
        ['b', ['c']],
        ['c', []],
      ]),
    ),
    [],
  );
  assert.deepEqual(
    importsOf(
      `import type { A } from './a.js';\nexport { b } from "../b.js";\nconst c = await import('./c.js');\nimport ` +
        `'node:fs';`,
    ),
    ['./a.js', '../b.js', './c.js'],
  );
});

test('no import cycle between source files (src/, type-only imports included)', () => {
  const found = cycles(graph(sourceFiles('src'))).map((c) => c.join(' -> '));
  const unknown = found.filter((c) => !KNOWN_CYCLES.includes(c));
  assert.deepEqual(unknown, [], `import cycles:\n${unknown.join('\n')}`);
  assert.ok(
    !found.some((c) => c.includes('src/cli/serve.ts')),
    'cli/serve.ts is in no cycle (running a collector lives in server/run.ts)',
  );
});

/**
 * The layers of docs/architecture.md ("Where each folder sits"), top to bottom: a folder imports
 * only folders of a lower layer (a higher number), and within one layer only the pairs listed.
 */
const LAYERS: Readonly<Record<string, number>> = {
  'index.ts': 0,
  cli: 1,
  cluster: 2,
  reader: 2,
  server: 3,
  inputs: 4,
  'storage-thread': 4,
  queue: 5,
  storage: 6,
  handlers: 6,
  logfile: 7,
  config: 7,
  event: 8,
  json: 9,
  util: 9,
  // Separate programs: they import only data and leaves.
  snippet: 3,
  client: 3,
  'errors.ts': 10,
  'log.ts': 10,
  'version.ts': 10,
};
/** Imports within one layer that the architecture allows (the storage thread parses inputs off the request thread). */
const SAME_LAYER: readonly string[] = ['storage-thread -> inputs'];

/** The folder of a source file under src/ (its first segment), or the file itself at the top. */
const folderOf = (file: string): string => file.split('/')[1];

test('imports point one way: no folder imports one of a higher layer (docs/architecture.md)', () => {
  const edges = graph(sourceFiles('src'));
  const wrong: string[] = [];
  for (const [from, targets] of edges) {
    const a = folderOf(from);
    for (const to of targets) {
      const b = folderOf(to);
      if (a === b) continue;
      assert.ok(LAYERS[a] !== undefined && LAYERS[b] !== undefined, `src/${a} or src/${b} has no layer here: add it`);
      if (LAYERS[b] > LAYERS[a] || SAME_LAYER.includes(`${a} -> ${b}`)) continue;
      wrong.push(`${from} -> ${to} (${a} is layer ${LAYERS[a]}, ${b} layer ${LAYERS[b]})`);
    }
  }
  assert.deepEqual(wrong, [], `imports against the layers:\n${wrong.join('\n')}`);
});
