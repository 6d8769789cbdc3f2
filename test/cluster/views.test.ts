import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { spawnWt1, stopWt1 } from '../helpers/process.js';
import { tempDir, removeDir } from '../helpers/server.js';
import { logRecords, runPixelLoad, waitFor } from '../helpers/load.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { launchChromium } from '../helpers/browser.js';

type Live = Record<string, unknown> & {
  receivedEvents: number;
  workers: Array<Record<string, unknown>>;
  lastEvents: Array<Record<string, unknown>>;
  handlers: Record<string, Record<string, unknown>>;
};

const listening = (output: string): Record<string, unknown>[] =>
  logRecords(output).filter((r) => r.msg === 'worker listening');

/** A fresh connection per request: node:cluster hands connections to the workers in turn. */
async function get(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { Connection: 'close', ...(init.headers ?? {}) } });
}

test(
  '--workers 2: live, metrics, handlers and flush answer for every ' + 'worker, and a replaced worker keeps its counts',
  async () => {
    const root = tempDir();
    const wt1 = await spawnWt1(['--workers', '2'], {
      env: {
        WT1_STORAGE__PARAMS__ROOT_DIR: root,
        WT1_STORAGE__PARAMS__NEW_FILE_TRIGGER_INTERVAL: '3600',
        WT1_SHUTDOWN_TIMEOUT: '10',
        WT1_LOG_LEVEL: 'info',
        WT1_INSTANCE_ID: 'web',
        WT1_HANDLER__LIVE__CLASS: 'counter',
        WT1_HANDLER__LIVE__PARAMS__SUM__HITS__FILTER_KEY: 'kind',
        WT1_HANDLER__LIVE__PARAMS__SUM__HITS__FILTER_VALUE: 'x',
        WT1_HANDLER__LIVE__PARAMS__SUM__HITS__VALUE_KEY: 'n',
      },
    });
    try {
      await waitFor(() => listening(wt1.output()).length === 2, 'two workers listening');
      // 40 page views with a new connection each: both workers get some.
      const hits = await runPixelLoad(wt1.url, { concurrency: 2, maxHits: 40, newConnections: true }).done;
      assert.ok(hits.every((h) => h.status === 200));
      for (let i = 0; i < 10; i++) {
        const res = await get(`${wt1.url}/public/p.gif?__wt1ty=event&__wt1vic=v${i}&kind=x&n=2`);
        assert.equal(res.status, 200);
      }

      // Whichever worker answers, the counts are those of both.
      for (let i = 0; i < 4; i++) {
        const live = (await (await get(`${wt1.url}/internal/live`)).json()) as Live;
        assert.equal(live.receivedEvents, 50);
        assert.deepEqual(live.cluster, { workers: 2, answered: 2 });
        assert.deepEqual(
          live.workers.map((w) => [w.name, w.state, w.restarts, w.answered]),
          [
            ['w0', 'running', 0, true],
            ['w1', 'running', 0, true],
          ],
        );
        assert.deepEqual(
          live.workers.map((w) => w.instanceId),
          ['web-w0', 'web-w1'],
        );
        const perWorker = live.workers.map((w) => Number(w.receivedEvents));
        assert.ok(
          perWorker.every((n) => n > 0),
          `each worker got hits: ${perWorker.join(', ')}`,
        );
        assert.equal(perWorker[0] + perWorker[1], 50);
        assert.equal(live.lastEvents.length, 50);
        const times = live.lastEvents.map((e) => Number(e.serverTS));
        assert.deepEqual(
          times,
          [...times].sort((a, b) => b - a),
          'newest first',
        );
        assert.deepEqual(new Set(live.lastEvents.map((e) => e.worker)), new Set(['w0', 'w1']));
        // The original WT1's keys too.
        const stats = live.stats as {
          receivedEvents: number;
          handlers: Array<{ name: string; processedEvents: number }>;
        };
        assert.equal(stats.receivedEvents, 50);
        assert.deepEqual(
          stats.handlers.map((h) => h.name),
          ['live'],
        );
        assert.equal((live.lastRequests as unknown[]).length, 50);
        const handler = live.handlers.live;
        assert.deepEqual(handler.sums, { hits: { nbElems: 10, totalValue: 20 } });
      }

      // The live page lists the workers.
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(`${wt1.url}/internal/?interval=200`);
        await page.locator('#workers-card').waitFor({ state: 'visible' });
        await page.locator('#received').filter({ hasText: /^50$/ }).waitFor();
        await page
          .locator('#instance')
          .filter({ hasText: /2 workers$/ })
          .waitFor();
        const rows = await page.locator('#workers tbody tr').allTextContents();
        assert.equal(rows.length, 2);
        assert.match(rows[0], /^w0web-w0\d+running0/);
        assert.match(rows[1], /^w1web-w1\d+running0/);
      } finally {
        await browser.close();
      }

      // /internal/handlers/NAME: merged, with each worker's own snapshot.
      const handler = (await (await get(`${wt1.url}/internal/handlers/live`)).json()) as Record<string, unknown>;
      assert.deepEqual(handler.sums, { hits: { nbElems: 10, totalValue: 20 } });
      assert.deepEqual(Object.keys(handler.workers as object).sort(), ['w0', 'w1']);

      // One scrape, every worker labelled.
      const samples = parsePrometheus(await (await get(`${wt1.url}/metrics`)).text());
      const received = [0, 1].map((w) => sampleValue(samples, 'wt1_events_received_total', { worker: `w${w}` }));
      assert.equal(received[0] + received[1], 50);
      assert.equal(sampleValue(samples, 'wt1_cluster_workers'), 2);
      assert.equal(sampleValue(samples, 'wt1_cluster_worker_up', { worker: 'w1' }), 1);
      assert.equal(sampleValue(samples, 'wt1_cluster_worker_restarts_total', { worker: 'w0' }), 0);
      assert.ok(samples.some((s) => s.name === 'process_resident_memory_bytes' && s.labels.worker === 'w1'));

      // A flush publishes the open file of both workers before answering.
      const flush = await get(`${wt1.url}/internal/flush`, { method: 'POST' });
      assert.equal(flush.status, 200);
      const flushed = (await flush.json()) as { published: string[]; workers: Record<string, string[]> };
      assert.equal(flushed.workers.w0.length, 1);
      assert.equal(flushed.workers.w1.length, 1);
      assert.match(path.basename(flushed.workers.w0[0]), /-web-w0\.log\.gz$/);
      assert.match(path.basename(flushed.workers.w1[0]), /-web-w1\.log\.gz$/);
      for (const file of flushed.published)
        assert.ok(existsSync(path.isAbsolute(file) ? file : path.join(root, file)), `${file} exists`);

      // Worker 0 dies (after having sent its counters): the totals keep its counts.
      const before = (await (await get(`${wt1.url}/internal/live`)).json()) as Live;
      const w0Received = Number(before.workers[0].receivedEvents);
      await new Promise((r) => setTimeout(r, 1500));
      const victim = Number(listening(wt1.output()).find((r) => r.slot === 0)?.workerPid);
      process.kill(victim, 'SIGKILL');
      await waitFor(
        () => listening(wt1.output()).some((r) => r.slot === 0 && r.workerPid !== victim),
        'a replacement for worker 0',
      );
      const after = (await (await get(`${wt1.url}/internal/live`)).json()) as Live;
      assert.equal(after.receivedEvents, 50, "the dead worker's events are still counted");
      assert.equal(after.workers[0].restarts, 1);
      assert.equal(after.workers[0].receivedEvents, 0);
      assert.deepEqual((after.workers[0].previousProcesses as Record<string, number>).receivedEvents, w0Received);
      const samplesAfter = parsePrometheus(await (await get(`${wt1.url}/metrics`)).text());
      assert.equal(sampleValue(samplesAfter, 'wt1_cluster_worker_restarts_total', { worker: 'w0' }), 1);
    } finally {
      assert.equal(await stopWt1(wt1), 0, wt1.output().slice(-3000));
      removeDir(root);
    }
  },
);

test(
  '--workers 2: a worker that does not answer is shown as such in ' +
    '/internal/live, and a flush says it did not reach it (503)',
  async () => {
    const root = tempDir();
    const wt1 = await spawnWt1(['--workers', '2'], {
      env: {
        WT1_STORAGE__PARAMS__ROOT_DIR: root,
        WT1_SHUTDOWN_TIMEOUT: '2',
        WT1_LOG_LEVEL: 'info',
        WT1_INSTANCE_ID: 'web',
      },
    });
    const stuck = { pid: 0 };
    try {
      await waitFor(() => listening(wt1.output()).length === 2, 'two workers listening');
      stuck.pid = Number(listening(wt1.output()).find((r) => r.slot === 1)?.workerPid);
      process.kill(stuck.pid, 'SIGSTOP');
      // Connections handed to the stopped worker hang: ask until the other one answers.
      const ask = async (path: string, init: RequestInit = {}): Promise<Response> => {
        for (;;) {
          try {
            return await get(`${wt1.url}${path}`, { ...init, signal: AbortSignal.timeout(15_000) });
          } catch {
            /* landed on the stopped worker */
          }
        }
      };
      const live = (await (await ask('/internal/live')).json()) as Live;
      assert.deepEqual(live.cluster, { workers: 2, answered: 1 });
      assert.equal(live.workers[1].answered, false);
      assert.match(String(live.workers[1].error), /no answer within 5 s/);

      const flush = await ask('/internal/flush', { method: 'POST' });
      assert.equal(flush.status, 503);
      assert.equal(flush.headers.get('x-wt1-error'), 'WT1_ERR_CLUSTER_UNAVAILABLE');
      assert.match(
        await flush.text(),
        /the flush did not reach every worker \(w1: no answer within 2 s\); published: \[/,
      );
    } finally {
      if (stuck.pid) process.kill(stuck.pid, 'SIGCONT');
      assert.equal(await stopWt1(wt1), 0, wt1.output().slice(-3000));
      removeDir(root);
    }
  },
);
