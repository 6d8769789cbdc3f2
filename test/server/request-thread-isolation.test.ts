import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { allowedCpus, IsolationUnavailable, parseCpuList } from '../../src/server/request-thread-isolation.js';
import type { StorageThread } from '../../src/storage-thread/storage-thread.js';
import { spawnWt1, stopWt1 } from '../helpers/process.js';
import { removeDir, startTestServer, tempDir } from '../helpers/server.js';
import { readAllRows } from '../helpers/files.js';

/** A missing taskset fails the tests that need it, saying how to get it. */
function requireTaskset(): void {
  if (spawnSync('taskset', ['-V']).error)
    assert.fail('taskset not found: install util-linux (apt-get install util-linux)');
}

/** CPU list of every thread of a process, the first (the request thread) first. */
function threadCpus(pid: number): { requestThread: number[]; others: number[][] } {
  const cpusOf = (tid: string): number[] => allowedCpus(`/proc/${pid}/task/${tid}/status`);
  const tids = readdirSync(`/proc/${pid}/task`);
  return { requestThread: cpusOf(String(pid)), others: tids.filter((t) => t !== String(pid)).map(cpusOf) };
}

function writeConfig(dir: string, text: string): string {
  const file = path.join(dir, 'config.properties');
  writeFileSync(file, text);
  return file;
}

const logLines = (output: string): Array<{ msg: string; [k: string]: unknown }> =>
  output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string });

test('parseCpuList reads the kernel list format and refuses anything else', () => {
  assert.deepEqual(parseCpuList('0'), [0]);
  assert.deepEqual(parseCpuList('0-3,6,8-9\n'), [0, 1, 2, 3, 6, 8, 9]);
  for (const bad of ['', 'a', '1-', '0,,1', '-1']) assert.throws(() => parseCpuList(bad), /not a CPU list/, bad);
});

test('allowedCpus: from Cpus_allowed_list; no such file or line says why', () => {
  const dir = tempDir();
  try {
    const status = path.join(dir, 'status');
    writeFileSync(status, 'Name:\tnode\nCpus_allowed:\t5\nCpus_allowed_list:\t0,2\nMems_allowed:\t1\n');
    assert.deepEqual(allowedCpus(status), [0, 2]);
    writeFileSync(status, 'Name:\tnode\n');
    assert.throws(
      () => allowedCpus(status),
      (e: unknown) => e instanceof IsolationUnavailable && /no Cpus_allowed_list line/.test(e.message),
    );
    assert.throws(
      () => allowedCpus(path.join(dir, 'none')),
      (e: unknown) => e instanceof IsolationUnavailable && /needs Linux/.test(e.message),
    );
  } finally {
    removeDir(dir);
  }
});

test(
  'isolateRequestThread=true: the request thread keeps every CPU, every ' +
    'other thread runs on the others, and pixels are written',
  async (t) => {
    requireTaskset();
    const cpus = allowedCpus();
    const dir = tempDir();
    const root = path.join(dir, 'data');
    const wt1 = await spawnWt1(
      ['--config', writeConfig(dir, `storage.params.rootDir=${root}\nisolateRequestThread=true\n`)],
      { cwd: dir },
    );
    try {
      if (cpus.length < 2) {
        // A 1-CPU machine: nothing to isolate, said at start (the next test forces this case anywhere).
        t.diagnostic(`1 CPU (${cpus.join(',')}): checking the warning instead of the placement`);
        assert.ok(
          logLines(wt1.output()).some((l) => l.msg.startsWith('isolateRequestThread: not applied')),
          wt1.output(),
        );
        return;
      }
      const placed = threadCpus(wt1.child.pid!);
      assert.deepEqual(placed.requestThread, cpus);
      assert.ok(placed.others.length >= 2, 'the storage thread and helpers exist');
      for (const other of placed.others) assert.deepEqual(other, cpus.slice(1));
      const logged = logLines(wt1.output()).find((l) => l.msg.startsWith('request thread isolated'));
      assert.ok(logged, wt1.output());
      assert.equal(logged.requestThreadCpu, cpus[0]);
      assert.deepEqual(logged.otherThreadsCpus, cpus.slice(1));
      for (let i = 0; i < 20; i++) assert.equal((await fetch(`${wt1.url}/public/p.gif?n=${i}`)).status, 200);
    } finally {
      assert.equal(await stopWt1(wt1), 0, wt1.output());
    }
    assert.deepEqual(
      readAllRows(root)
        .map((r) => r.event_params)
        .sort(),
      Array.from({ length: 20 }, (_, i) => `n=${i}`).sort(),
    );
    removeDir(dir);
  },
);

test('isolateRequestThread=true on 1 CPU: a warning saying why, and the collector serves as usual', async () => {
  requireTaskset();
  const dir = tempDir();
  const cpu = String(allowedCpus()[0]);
  const wt1 = await spawnWt1(
    ['--config', writeConfig(dir, `storage.params.rootDir=${path.join(dir, 'data')}\nisolateRequestThread=true\n`)],
    { cwd: dir, wrapper: ['taskset', '-c', cpu] },
  );
  try {
    const warning = logLines(wt1.output()).find((l) => l.msg.startsWith('isolateRequestThread: not applied'));
    assert.ok(warning, wt1.output());
    assert.equal(warning.reason, `needs at least 2 CPUs; this process may only use CPU ${cpu}`);
    assert.equal((await fetch(`${wt1.url}/public/p.gif?n=1`)).status, 200);
  } finally {
    assert.equal(await stopWt1(wt1), 0, wt1.output());
  }
  removeDir(dir);
});

test(
  'isolateRequestThread=true without taskset: a warning naming ' + 'the package, and the collector serves as usual',
  async () => {
    const dir = tempDir();
    // PATH without taskset (node itself is started by its full path).
    const wt1 = await spawnWt1(
      ['--config', writeConfig(dir, `storage.params.rootDir=${path.join(dir, 'data')}\nisolateRequestThread=true\n`)],
      { cwd: dir, env: { PATH: dir } },
    );
    try {
      const warning = logLines(wt1.output()).find((l) => l.msg.startsWith('isolateRequestThread: not applied'));
      assert.ok(warning, wt1.output());
      // With 1 CPU there is nothing to isolate, which is found before looking for taskset.
      const expected =
        allowedCpus().length >= 2
          ? 'taskset not found: install util-linux (apt-get install util-linux)'
          : /^needs at least 2 CPUs/;
      if (typeof expected === 'string') assert.equal(warning.reason, expected);
      else assert.match(String(warning.reason), expected);
      assert.equal((await fetch(`${wt1.url}/public/p.gif?n=1`)).status, 200);
    } finally {
      assert.equal(await stopWt1(wt1), 0, wt1.output());
    }
    removeDir(dir);
  },
);

// Last in this file: it pins the threads of this test process itself.
test(
  'isolateRequestThread=true: a storage thread started after a ' + 'crash is moved off the request thread CPU too',
  async () => {
    requireTaskset();
    const cpus = allowedCpus();
    // On 1 CPU each application is a warning instead: the test still sees the restart apply it again.
    const applied = cpus.length >= 2 ? 'request thread isolated' : 'isolateRequestThread: not applied';
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const root = tempDir();
    const server = await startTestServer(
      { 'storage.params.rootDir': root, isolateRequestThread: 'true' },
      { logger, storageThread: true },
    );
    try {
      const processor = server.collector.context.dispatcher.processors.find((p) => p.kind === 'storage')!;
      const storage = processor.engine as StorageThread;
      const before = readdirSync('/proc/self/task');
      await (storage as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      const deadline = Date.now() + 10_000;
      while (!storage.ready() || lines.filter((l) => l.includes(applied)).length < 2) {
        if (Date.now() > deadline) assert.fail(`no new isolated storage thread within 10 s:\n${lines.join('')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      if (cpus.length < 2) return;
      const started = readdirSync('/proc/self/task').filter((t) => !before.includes(t));
      const placed = threadCpus(process.pid);
      assert.deepEqual(placed.requestThread, cpus);
      for (const other of placed.others) assert.deepEqual(other, cpus.slice(1));
      // Started by the request thread, the new storage thread would have inherited every CPU.
      assert.ok(started.length >= 1, 'a new storage thread was started');
      for (const tid of started) assert.deepEqual(allowedCpus(`/proc/self/task/${tid}/status`), cpus.slice(1));
    } finally {
      await server.stop();
      spawnSync('taskset', ['-a', '-p', '-c', cpus.join(','), String(process.pid)]);
      removeDir(root);
    }
  },
);
