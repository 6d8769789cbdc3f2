import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/process.js';
import { readAllRows } from '../helpers/files.js';
import { removeDir, tempDir } from '../helpers/server.js';

// deploy/cloudrun/Dockerfile cannot be built here (no Docker engine), so this test replays it
// (issue 18): each stage in a fresh folder standing for its WORKDIR (/app), only the files it
// COPYs, its RUN steps as written, then its CMD started and a hit sent. A file the image forgets
// fails the build or the start. What the replay cannot do as Docker would, and does instead:
// - it runs as the current user, so `chown` is a no-op (a shim first on PATH);
// - `npm cache clean --force` is left out (it would empty this machine's shared npm cache);
// - the base image is this machine's Node, not node:20-bookworm-slim.

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const DOCKERFILE = path.join(repo, 'deploy/cloudrun/Dockerfile');

interface Stage {
  readonly name: string;
  readonly steps: Array<{ op: string; args: string }>;
}

/** Stages and their instructions (continuation lines joined, comments dropped). */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const line of lines) {
    const m = /^(\w+)\s+(.*)$/.exec(line);
    assert.ok(m, `cannot read Dockerfile line: ${line}`);
    const op = m[1].toUpperCase();
    if (op === 'FROM') stages.push({ name: /\bAS\s+(\S+)/i.exec(m[2])?.[1] ?? String(stages.length), steps: [] });
    else stages.at(-1)!.steps.push({ op, args: m[2] });
  }
  return stages;
}

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): void {
  const r = spawnSync('sh', ['-c', command], { cwd, env, encoding: 'utf8', timeout: 600_000 });
  assert.equal(
    r.status,
    0,
    `RUN ${command} failed (${r.error?.message ?? r.status}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`,
  );
}

test('the Dockerfile is read as expected: two stages, a data volume, a health check on /ready', () => {
  const stages = parseDockerfile(readFileSync(DOCKERFILE, 'utf8'));
  assert.deepEqual(
    stages.map((s) => s.name),
    ['build', '1'],
  );
  const final = stages[1].steps;
  assert.ok(
    final.some((s) => s.op === 'VOLUME' && s.args.includes('/app/data')),
    'VOLUME for the data folder',
  );
  const health = final.find((s) => s.op === 'HEALTHCHECK');
  assert.ok(health && /\/ready/.test(health.args), 'HEALTHCHECK on /ready');
});

test(
  'replaying the Dockerfile builds an image folder that starts, passes ' +
    'its health check and writes a hit to its volume',
  async () => {
    const work = tempDir('wt1-docker-');
    const shims = path.join(work, 'shims');
    mkdirSync(shims);
    writeFileSync(path.join(shims, 'chown'), '#!/bin/sh\nexit 0\n');
    chmodSync(path.join(shims, 'chown'), 0o755);
    const roots = new Map<string, string>();
    let child: ReturnType<typeof spawn> | undefined;
    try {
      let env: NodeJS.ProcessEnv = {};
      let root = '';
      let cmd: string[] = [];
      let health: string[] = [];
      for (const stage of parseDockerfile(readFileSync(DOCKERFILE, 'utf8'))) {
        root = path.join(work, `stage-${stage.name}`);
        mkdirSync(root);
        roots.set(stage.name, root);
        env = { ...process.env, PATH: `${shims}:${process.env.PATH}` };
        const inImage = (p: string): string => {
          assert.ok(p === '/app' || p.startsWith('/app/') || !p.startsWith('/'), `the replay maps /app only: ${p}`);
          return path.join(root, p.replace(/^\/app\/?/, ''));
        };
        for (const { op, args } of stage.steps) {
          if (op === 'WORKDIR') assert.equal(args, '/app');
          else if (op === 'ENV') {
            const [k, v] = args.split('=');
            env[k] = v;
          } else if (op === 'COPY') {
            const from = /^--from=(\S+)\s+/.exec(args);
            const parts = args.replace(/^--\S+\s+/, '').split(/\s+/);
            const dest = parts.pop()!;
            for (const source of parts) {
              const src = from
                ? path.join(roots.get(from[1])!, source.replace(/^\/app\/?/, ''))
                : path.join(repo, source);
              assert.ok(existsSync(src), `COPY ${source}: missing`);
              const target = dest.endsWith('/') ? path.join(inImage(dest), path.basename(source)) : inImage(dest);
              cpSync(src, target, { recursive: true });
            }
          } else if (op === 'RUN') {
            sh(args.replace(/\s*&&\s*npm cache clean --force/, '').replace(/\/app\b/g, root), root, env);
          } else if (op === 'CMD') cmd = JSON.parse(args) as string[];
          else if (op === 'HEALTHCHECK') health = JSON.parse(args.replace(/^.*?\bCMD\s+/, '')) as string[];
          else assert.ok(['VOLUME', 'USER'].includes(op), `the replay does not know ${op}`);
        }
      }
      assert.deepEqual(cmd.slice(0, 2), ['node', 'bin/wt1']);
      // No source, no tests, no dev dependencies in the image.
      assert.ok(!existsSync(path.join(root, 'src/cli')) && !existsSync(path.join(root, 'dist/test')));
      assert.ok(!existsSync(path.join(root, 'node_modules/typescript')), 'dev dependencies stay in the build stage');

      const port = await freePort();
      const runEnv = { ...env, PORT: String(port), HOST: '127.0.0.1' };
      child = spawn(process.execPath, cmd.slice(1), { cwd: root, env: runEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.on('data', (c: Buffer) => {
        output += c.toString();
      });
      child.stderr!.on('data', (c: Buffer) => {
        output += c.toString();
      });
      const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
      for (let i = 0; !output.includes('wt1 listening'); i++) {
        assert.ok(i < 600 && child.exitCode === null, `the image's CMD did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const check = spawnSync(process.execPath, health.slice(1), { cwd: root, env: runEnv, timeout: 10_000 });
      assert.equal(check.status, 0, 'the HEALTHCHECK command passes on a running collector');
      const hit = await fetch(`http://127.0.0.1:${port}/public/p.gif?__wt1ty=container&__wt1vid=v1`);
      assert.equal(hit.status, 200);
      await hit.arrayBuffer();
      assert.equal((await fetch(`http://127.0.0.1:${port}/internal`)).status, 200, 'the live page is in the image');
      assert.equal(
        (await fetch(`http://127.0.0.1:${port}/public/track.js`)).status,
        200,
        'the snippet is in the image',
      );
      child.kill('SIGTERM');
      assert.equal(await exited, 0, output);
      child = undefined;
      const rows = readAllRows(path.join(root, 'data'));
      assert.deepEqual(
        rows.map((r) => r.type),
        ['container'],
        'the hit is in the volume folder /app/data',
      );
      // Stopped: the health check fails (what makes the platform replace the container).
      const after = spawnSync(process.execPath, health.slice(1), { cwd: root, env: runEnv, timeout: 10_000 });
      assert.equal(after.status, 1);
    } finally {
      child?.kill('SIGKILL');
      removeDir(work);
    }
  },
);
