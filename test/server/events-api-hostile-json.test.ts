import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { tempDir, removeDir } from '../helpers/server.js';
import { residentBytes, sampleResidentPeak, spawnWt1, stopWt1 } from '../helpers/process.js';
import { rawPost } from '../helpers/http.js';
import { readAllRows } from '../helpers/files.js';

const MIB = 1024 ** 2;

/** The audit's hostile bodies (issue 15 §3), each about 10 KB gzipped and under the 10 MiB gunzipped limit. */
function hostileBodies(): Array<{ name: string; body: Buffer; limit: RegExp }> {
  const wrap = (params: string): Buffer => Buffer.from(`{"events":[{"type":"t","params":${params}}]}`);
  const keys: string[] = [];
  // Repeated keys (valid JSON; JSON.parse still walks each member): compresses like the audit's ~10 KB.
  for (let i = 0; i < 400_000; i++) keys.push('"k":1');
  return [
    { name: '5 M nested [', body: wrap('['.repeat(5_000_000) + ']'.repeat(5_000_000)), limit: /api\.maxDepth \(32\)/ },
    {
      name: '3 M-element array',
      body: wrap(`[${'0,'.repeat(3_000_000 - 1)}0]`),
      limit: /api\.maxArrayLength \(10000\)/,
    },
    { name: 'object of 400 k keys', body: wrap(`{${keys.join(',')}}`), limit: /api\.maxKeys \(1000\)/ },
    { name: '5 M nested [ again', body: wrap('['.repeat(5_000_000) + ']'.repeat(5_000_000)), limit: /api\.maxDepth/ },
  ].map((b) => ({ ...b, body: gzipSync(b.body, { level: 9 }) }));
}

test(
  'issue 15 §3: four hostile JSON bodies at once get 413 naming the ' +
    'limit, /isAlive keeps answering, RSS stays bounded',
  async () => {
    const dir = tempDir();
    const bodies = hostileBodies();
    for (const b of bodies) assert.ok(b.body.length < 64 * 1024, `${b.name}: ${b.body.length} bytes gzipped`);
    const server = await spawnWt1([], {
      env: { WT1_STORAGE__PARAMS__ROOT_DIR: path.join(dir, 'data'), WT1_LOG_LEVEL: 'warn' },
    });
    try {
      const pid = server.child.pid!;
      const before = residentBytes(pid);
      const sampler = sampleResidentPeak(pid);
      // /isAlive polled all along: it must keep answering (its latency is printed, not asserted).
      let polling = true;
      const latencies: number[] = [];
      const poller = (async () => {
        while (polling) {
          const t0 = performance.now();
          const res = await fetch(`${server.url}/isAlive`);
          assert.equal(await res.text(), 'Server is alive\r\n');
          latencies.push(performance.now() - t0);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const answers = await Promise.all(
        bodies.map((b) =>
          rawPost(
            `${server.url}/public/events`,
            { 'Content-Type': 'application/gzip', 'Content-Length': String(b.body.length) },
            b.body,
          ),
        ),
      );
      await new Promise((r) => setTimeout(r, 50));
      polling = false;
      await poller;
      const peak = sampler.stop();
      latencies.sort((a, b) => a - b);
      console.log(
        `/isAlive during the attack: ${latencies.length} answers, median ` +
          `${latencies[latencies.length >> 1].toFixed(1)} ms, max ${latencies[latencies.length - 1].toFixed(1)} ms; ` +
          `server RSS ${Math.round(before / MIB)} MiB before, peak ${Math.round(peak / MIB)} MiB`,
      );
      answers.forEach((res, i) => {
        assert.equal(res.status, 413, `${bodies[i].name}: ${res.body}`);
        assert.equal(res.headers['x-wt1-error'], 'WT1_ERR_JSON_LIMIT');
        assert.match(res.body, bodies[i].limit, bodies[i].name);
      });
      assert.ok(latencies.length > 0, '/isAlive answered during the attack');
      assert.ok(
        peak - before < 150 * MIB,
        `server RSS grew by ${Math.round((peak - before) / MIB)} MiB (from ${Math.round(before / MIB)} MiB)`,
      );
      const ok = await fetch(`${server.url}/public/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"events":[{"type":"page","params":{"a":1}}]}',
      });
      assert.equal(ok.status, 200);
    } finally {
      assert.equal(await stopWt1(server), 0, server.output());
    }
    assert.equal(readAllRows(path.join(dir, 'data')).length, 1, 'nothing of the hostile bodies was written');
    removeDir(dir);
  },
);
