import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERRORS } from '../src/errors.js';
import { TOP_LEVEL_KEYS } from '../src/config/schema.js';
import { fsEngine } from '../src/storage/fs.js';

const doc = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../../docs/${name}`, import.meta.url)), 'utf8');

/** The first cells of the table rows of a markdown page, without backquotes. */
function documentedNames(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of markdown.split('\n')) {
    const m = /^\|\s*`([^`]+)`/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

test('every error code of src/errors.ts is documented in docs/errors.md, and nothing else', () => {
  const documented = documentedNames(doc('errors.md'));
  const missing = Object.keys(ERRORS).filter((code) => !documented.has(code));
  assert.deepEqual(missing, [], 'add a row to docs/errors.md for each');
  const stale = [...documented].filter((code) => code.startsWith('WT1_ERR_') && !(code in ERRORS));
  assert.deepEqual(stale, [], 'codes documented but not in src/errors.ts');
});

test('every top-level config key is documented in docs/configuration.md', () => {
  const documented = documentedNames(doc('configuration.md'));
  const missing = Object.keys(TOP_LEVEL_KEYS).filter((key) => !documented.has(key));
  assert.deepEqual(missing, [], 'add a row to the top-level keys table of docs/configuration.md for each');
});

test('every filesystem engine param is documented in docs/configuration.md', () => {
  const documented = documentedNames(doc('configuration.md'));
  const missing = Object.keys(fsEngine.params).filter((p) => !documented.has(`storage.params.${p}`));
  assert.deepEqual(missing, []);
});
