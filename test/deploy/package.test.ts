import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/process.js';
import { readAllRows } from '../helpers/files.js';
import { removeDir, tempDir } from '../helpers/server.js';

// Issue 18: wt1 installs like other tools. The tarball `npm pack` makes installs into a fresh
// project and runs there (`npx wt1 serve`, `import 'wt1/client'`) with no build step on the user's
// side. The dependencies come from npm's cache when they are there (--prefer-offline), else from
// the registry.

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 240_000 });
  assert.equal(
    r.status,
    0,
    `${command} ${args.join(' ')} failed (${r.error?.message ?? r.status}):\n${r.stdout}\n${r.stderr}`,
  );
  return r.stdout;
}

test('the package builds before packing, and an installed copy never builds', () => {
  const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
    files: string[];
  };
  // npm pack runs `prepare` first (npm ci too): it builds dist/ in the checkout.
  assert.equal(pkg.scripts.prepare, 'node scripts/prepare.mjs');
  assert.ok(
    pkg.files.includes('scripts/prepare.mjs'),
    'the prepare script is in the package (npm may run it on install)',
  );
  const dir = tempDir();
  try {
    // In an installed package (no tsconfig.json): nothing to build, exit 0 without touching dist/.
    const r = spawnSync(process.execPath, [path.join(repo, 'scripts/prepare.mjs')], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout + r.stderr, '');
  } finally {
    removeDir(dir);
  }
});

test(
  'npm pack gives a tarball that installs into a fresh project and ' +
    'runs: npx wt1 serve takes a hit, wt1/client imports',
  async () => {
    const dir = tempDir('wt1-pack-');
    try {
      // dist/ is built by `npm test` (and by `prepare` on a real `npm pack`): no second build here.
      const [packed] = JSON.parse(
        run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], repo),
      ) as Array<{ filename: string; files: Array<{ path: string }> }>;
      const files = packed.files.map((f) => f.path);
      for (const needed of [
        'bin/wt1',
        'dist/src/cli/main.js',
        'dist/src/client/index.js',
        'dist/src/client/index.d.ts',
        'dist/snippet/track.js',
        'dist/live-page/live-page.js',
        'src/server/live-page/index.html',
      ]) {
        assert.ok(files.includes(needed), `${needed} is in the tarball`);
      }
      assert.ok(
        !files.some(
          (f) => f.startsWith('dist/test/') || f.startsWith('test/') || (f.endsWith('.ts') && !f.endsWith('.d.ts')),
        ),
        'no tests and no TypeScript sources in the tarball',
      );

      const project = path.join(dir, 'project');
      mkdirSync(project);
      writeFileSync(
        path.join(project, 'package.json'),
        JSON.stringify({ name: 'uses-wt1', version: '1.0.0', private: true, type: 'module' }),
      );
      run(
        npm,
        ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', path.join(dir, packed.filename)],
        project,
      );

      // The client, as a program that sends events imports it.
      const client = run(
        process.execPath,
        ['--input-type=module', '-e', "const m = await import('wt1/client'); console.log(typeof m.createClient)"],
        project,
      );
      assert.equal(client.trim(), 'function');
      const api = run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "const m = await import('wt1'); console.log(typeof m.createCollector, typeof m.loadConfig)",
        ],
        project,
      );
      assert.equal(api.trim(), 'function function');

      // npx wt1 serve in the project: a hit answered, written under ./data, published at SIGTERM.
      const port = await freePort();
      const child = spawn(
        npm,
        ['exec', '--offline', '--', 'wt1', 'serve', '--port', String(port), '--host', '127.0.0.1'],
        { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', (c: Buffer) => {
        output += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        output += c.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        for (let i = 0; !output.includes('wt1 listening'); i++) {
          assert.ok(i < 600, `wt1 did not start:\n${output}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        const hit = await fetch(`http://127.0.0.1:${port}/public/p.gif?__wt1ty=installed&__wt1vid=v1`, {
          headers: { Referer: 'https://shop.example/' },
        });
        assert.equal(hit.status, 200);
        await hit.arrayBuffer();
        const page = await fetch(`http://127.0.0.1:${port}/internal`);
        assert.equal(page.status, 200, 'the live page is served from the installed package');
        assert.match(await page.text(), /<html/i);
      } finally {
        // npm exec does not pass a signal on: stop wt1 itself (its pid is in its start line), then
        // npm exec ends with wt1's exit code.
        const pid = /"pid":(\d+)/.exec(output)?.[1];
        if (pid) process.kill(Number(pid), 'SIGTERM');
        else child.kill('SIGKILL');
      }
      assert.equal(await exited, 0, output);
      const rows = readAllRows(path.join(project, 'data'));
      assert.equal(rows.length, 1, output);
      assert.equal(rows[0].type, 'installed');
    } finally {
      removeDir(dir);
    }
  },
);
