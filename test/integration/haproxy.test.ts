import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnWt1, type Wt1Process } from '../helpers/process.js';
import { tempDir, removeDir } from '../helpers/server.js';
import { publishedFiles, readAllRows, readLogFile, temporaryFiles, type Row } from '../helpers/files.js';
import { startHaproxy, type Haproxy } from '../helpers/haproxy.js';
import { hitCounts, logRecords, runPixelLoad, waitFor } from '../helpers/load.js';

interface Node {
  readonly name: string;
  readonly root: string;
  readonly maintenanceFile: string;
  readonly env: NodeJS.ProcessEnv;
  process: Wt1Process;
}

async function startNode(work: string, name: string, extra: NodeJS.ProcessEnv = {}): Promise<Node> {
  const root = path.join(work, name);
  const maintenanceFile = path.join(work, `${name}.maintenance`);
  const env = {
    WT1_STORAGE__PARAMS__ROOT_DIR: root,
    WT1_STORAGE__PARAMS__NEW_FILE_TRIGGER_INTERVAL: '3600',
    WT1_INSTANCE_ID: name,
    WT1_MAINTENANCE_FILE: maintenanceFile,
    WT1_LOG_LEVEL: 'info',
    ...extra,
  };
  return { name, root, maintenanceFile, env, process: await spawnWt1([], { env }) };
}

async function stopNode(node: Node): Promise<void> {
  if (node.process.child.exitCode !== null || node.process.child.signalCode !== null) return;
  node.process.child.kill('SIGTERM');
  assert.equal(await node.process.exited, 0, node.process.output());
}

const serverMs = (row: Row): number => Date.parse(row.server_ts + 'Z');

test('a node whose maintenanceFile appears is drained by HAProxy: no request fails, no hit is lost', async (t) => {
  const work = tempDir();
  const nodes: Node[] = [];
  let haproxy: Haproxy | undefined;
  try {
    nodes.push(await startNode(work, 'n1'), await startNode(work, 'n2'));
    haproxy = await startHaproxy(nodes.map((n) => ({ name: n.name, port: n.process.port })));
    const load = runPixelLoad(haproxy.url, { concurrency: 4, maxHits: 6000, pauseMs: 4 });
    await waitFor(() => load.hits.filter((h) => h.status === 200).length >= 300, '300 answered hits');
    writeFileSync(nodes[0].maintenanceFile, '');
    const drainedAt = Date.now();
    await waitFor(() => Date.now() > drainedAt + 4500 || load.hits.length >= 6000, 'load after the drain');
    const hits = await load.stop();
    for (const node of nodes) await stopNode(node);

    assert.ok(hits.length > 600, `enough load: ${hits.length} hits`);
    assert.deepEqual(
      hits.filter((h) => h.status !== 200).map((h) => h.status),
      [],
      'no request failed',
    );
    const n1 = readAllRows(nodes[0].root);
    const n2 = readAllRows(nodes[1].root);
    assert.ok(n1.length > 0, 'n1 had traffic before its drain');
    const late = n1.filter((r) => serverMs(r) > drainedAt + 3000);
    assert.equal(late.length, 0, 'HAProxy stopped sending to n1 within 3 s');
    assert.ok(
      n2.some((r) => serverMs(r) > drainedAt + 3000),
      'n2 took the traffic',
    );
    const counts = hitCounts([...n1, ...n2]);
    assert.equal(counts.size, hits.length, 'every hit is in the files');
    assert.ok(
      [...counts.values()].every((n) => n === 1),
      'each exactly once',
    );
    const lastN1 = Math.max(...n1.map(serverMs));
    t.diagnostic(
      `${hits.length} hits; n1 ${n1.length}, n2 ${n2.length}; n1's last hit ${lastN1 - drainedAt} ms after its ` +
        `maintenance file`,
    );
  } finally {
    await haproxy?.stop();
    for (const node of nodes) {
      node.process.child.kill('SIGKILL');
      await node.process.exited;
    }
    removeDir(work);
  }
});

test(
  'a node killed with SIGKILL mid-load: HAProxy fails over and ' + 'every answered hit is in the files of one node',
  async (t) => {
    const work = tempDir();
    const nodes: Node[] = [];
    let haproxy: Haproxy | undefined;
    const flushInterval = 0.1;
    try {
      nodes.push(
        await startNode(work, 'n1', { WT1_FLUSH_INTERVAL: String(flushInterval) }),
        await startNode(work, 'n2', { WT1_FLUSH_INTERVAL: String(flushInterval) }),
      );
      haproxy = await startHaproxy(nodes.map((n) => ({ name: n.name, port: n.process.port })));
      const load = runPixelLoad(haproxy.url, { concurrency: 4, maxHits: 6000, pauseMs: 4 });
      await waitFor(() => load.hits.filter((h) => h.status === 200).length >= 500, '500 answered hits');
      nodes[0].process.child.kill('SIGKILL');
      const killedAt = Date.now();
      await nodes[0].process.exited;
      await waitFor(() => Date.now() > killedAt + 2500 || load.hits.length >= 6000, 'load after the kill');
      const hits = await load.stop();
      await stopNode(nodes[1]);
      // The dead node's open file is published by the next collector started on its folder.
      assert.equal(temporaryFiles(nodes[0].root).length, 1);
      nodes[0].process = await spawnWt1([], { env: nodes[0].env });
      await stopNode(nodes[0]);
      const recovered = logRecords(nodes[0].process.output()).find(
        (r) => r.msg === 'recovered a file left by a crashed writer',
      );
      assert.ok(recovered && Number(recovered.lines) > 0, "the killed node's flushed events were recovered");

      assert.deepEqual(
        hits.filter((h) => h.status !== 200).map((h) => h.status),
        [],
        'HAProxy retried the requests the dead node did not answer',
      );
      for (const node of nodes) for (const file of publishedFiles(node.root)) readLogFile(file); // no torn line
      const n1 = readAllRows(nodes[0].root);
      const n2 = readAllRows(nodes[1].root);
      assert.equal(n1.filter((r) => serverMs(r) > killedAt).length, 0);
      assert.ok(n2.filter((r) => serverMs(r) > killedAt + 1000).length > 0, 'n2 took over');
      const counts = hitCounts([...n1, ...n2]);
      // Only what the killed node answered during its last flush interval (plus scheduling slack) may be lost.
      const window = flushInterval * 1000 + 1500;
      const mustBeThere = hits.filter((h) => h.answeredAt < killedAt - window || h.answeredAt > killedAt + 500);
      assert.deepEqual(
        mustBeThere.filter((h) => counts.get(h.id) !== 1).map((h) => h.id),
        [],
        'every hit answered outside the kill window is in the files exactly once',
      );
      t.diagnostic(
        `${hits.length} hits answered 200; in the files ${counts.size}; recovered from n1 ${String(recovered.lines)}`,
      );
    } finally {
      await haproxy?.stop();
      for (const node of nodes) {
        node.process.child.kill('SIGKILL');
        await node.process.exited;
      }
      removeDir(work);
    }
  },
);
