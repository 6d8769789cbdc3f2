import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeDir, tempDir } from '../helpers/server.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BUILD = path.join(REPO, 'scripts/build-snippet.mjs');

function buildSnippet(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [BUILD, ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: r.stdout + r.stderr };
}

test('the snippet build prints the gzipped size and fails over the budget', () => {
  const dir = tempDir();
  try {
    const outfile = path.join(dir, 'track.js');
    const ok = buildSnippet(['--outfile', outfile]);
    assert.equal(ok.status, 0, ok.output);
    const gzipped = Number(/(\d+) bytes gzipped/.exec(ok.output)?.[1]);
    assert.ok(gzipped > 500 && gzipped <= 2048, ok.output);

    const over = buildSnippet(['--outfile', outfile, '--budget', String(gzipped - 1)]);
    assert.equal(over.status, 1, over.output);
    assert.match(over.output, /OVER the budget/);
  } finally {
    removeDir(dir);
  }
});
