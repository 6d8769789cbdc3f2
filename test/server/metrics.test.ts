import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, removeDir } from '../helpers/server.js';
import { freePort } from '../helpers/process.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { Metrics, snakeCase } from '../../src/server/metrics.js';
import { collectStatus, type StatusSources } from '../../src/server/status.js';

const STORAGE = { processor: 'storage', kind: 'storage' };
const ENGINE = { processor: 'storage', engine: 'fs' };

test(
  '/metrics reports per-processor counters, queue depth, files and ' +
    'bytes, latency per endpoint and process metrics',
  async () => {
    const server = await startTestServer({ maxQueueSize: 777 });
    try {
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${server.url}/public/p.gif?__wt1ty=page&__wt1vic=v${i}`);
        await res.arrayBuffer();
      }
      await (await fetch(`${server.url}/public/nothing`)).arrayBuffer();
      const flush = await fetch(`${server.url}/internal/flush`, { method: 'POST' });
      assert.equal(flush.status, 200);
      await flush.text();

      const res = await fetch(`${server.url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      const samples = parsePrometheus(text);
      assert.equal(sampleValue(samples, 'wt1_events_received_total'), 4);
      assert.equal(sampleValue(samples, 'wt1_processor_received_total', STORAGE), 4);
      assert.equal(sampleValue(samples, 'wt1_processor_written_total', STORAGE), 4);
      assert.equal(sampleValue(samples, 'wt1_processor_dropped_total', STORAGE), 0);
      assert.equal(sampleValue(samples, 'wt1_processor_failed_total', STORAGE), 0);
      assert.equal(sampleValue(samples, 'wt1_processor_queue_depth', STORAGE), 0);
      assert.equal(sampleValue(samples, 'wt1_processor_queue_capacity', STORAGE), 777);
      assert.equal(sampleValue(samples, 'wt1_storage_files_created_total', ENGINE), 1);
      assert.equal(sampleValue(samples, 'wt1_storage_saved_events_total', ENGINE), 4);
      assert.ok(
        sampleValue(samples, 'wt1_storage_input_bytes_total', ENGINE) >
          sampleValue(samples, 'wt1_storage_gzipped_bytes_total', ENGINE),
      );
      assert.ok(sampleValue(samples, 'wt1_storage_gzipped_bytes_total', ENGINE) > 0);
      // engine-specific stats come through generically
      assert.equal(sampleValue(samples, 'wt1_storage_recovered_files', ENGINE), 0);
      assert.equal(sampleValue(samples, 'wt1_ready'), 1);
      assert.equal(sampleValue(samples, 'wt1_storage_ready', ENGINE), 1);
      assert.equal(sampleValue(samples, 'wt1_info', { engine: 'fs' }), 1);

      // latency per endpoint (route = the registered path) and status code
      const pixel = { route: '/public/p.gif', code: '200' };
      assert.equal(sampleValue(samples, 'wt1_http_request_duration_seconds_count', pixel), 4);
      assert.equal(sampleValue(samples, 'wt1_http_request_duration_seconds_bucket', { ...pixel, le: '+Inf' }), 4);
      assert.equal(
        sampleValue(samples, 'wt1_http_request_duration_seconds_count', { route: '/public/nothing', code: '200' }),
        1,
      );
      assert.equal(
        sampleValue(samples, 'wt1_http_request_duration_seconds_count', { route: '/internal/flush', code: '200' }),
        1,
      );
      const buckets = samples
        .filter((s) => s.name === 'wt1_http_request_duration_seconds_bucket' && s.labels.route === '/public/p.gif')
        .map((s) => s.value);
      assert.deepEqual(
        buckets,
        [...buckets].sort((a, b) => a - b),
        'buckets are cumulative',
      );

      // process metrics
      assert.ok(sampleValue(samples, 'process_cpu_user_seconds_total') > 0);
      assert.ok(sampleValue(samples, 'nodejs_heap_size_used_bytes') > 0);
      assert.equal(
        new Set(
          text
            .split('\n')
            .filter((l) => l.startsWith('# TYPE '))
            .map((l) => l.split(' ')[2]),
        ).size,
        text.split('\n').filter((l) => l.startsWith('# TYPE ')).length,
        'no metric is declared twice',
      );
    } finally {
      await server.stop();
      removeDir(server.root);
    }
  },
);

test('/metrics is behind the admin protection on the main port', async () => {
  const server = await startTestServer({ adminToken: 'metrics-tok' });
  try {
    const anonymous = await fetch(`${server.url}/metrics`);
    assert.equal(anonymous.status, 401);
    await anonymous.text();
    const authorized = await fetch(`${server.url}/metrics`, { headers: { Authorization: 'Bearer metrics-tok' } });
    assert.equal(authorized.status, 200);
    assert.match(await authorized.text(), /^wt1_events_received_total 0$/m);
  } finally {
    await server.stop();
    removeDir(server.root);
  }
  const open = await startTestServer();
  try {
    const relayed = await fetch(`${open.url}/metrics`, { headers: { 'X-Forwarded-For': '198.51.100.7' } });
    assert.equal(relayed.status, 403, 'without a token, loopback clients only');
    await relayed.text();
  } finally {
    await open.stop();
    removeDir(open.root);
  }
});

test('with metricsPort the metrics move to that port, without authentication, and leave the main port', async () => {
  const metricsPort = await freePort();
  const server = await startTestServer({ metricsPort, adminToken: 'not-needed-there' });
  try {
    await (await fetch(`${server.url}/public/p.gif?__wt1ty=page`)).arrayBuffer();
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(sampleValue(parsePrometheus(await res.text()), 'wt1_events_received_total'), 1);
    const other = await fetch(`http://127.0.0.1:${metricsPort}/internal/live`);
    assert.equal(other.status, 404, 'the metrics port serves nothing else');
    await other.text();
    const main = await fetch(`${server.url}/metrics`, { headers: { Authorization: 'Bearer not-needed-there' } });
    assert.equal(main.status, 404);
    await main.text();
  } finally {
    await server.stop();
    removeDir(server.root);
  }
  await assert.rejects(fetch(`http://127.0.0.1:${metricsPort}/metrics`), 'the metrics port is closed by stop()');
});

test('engine statistic names become snake_case metric names', () => {
  assert.equal(snakeCase('uploadRetries'), 'upload_retries');
  assert.equal(snakeCase('spoolBytes'), 'spool_bytes');
  assert.equal(snakeCase('savedEventsGZippedSize'), 'saved_events_gzipped_size');
  assert.equal(snakeCase('weird-name.x'), 'weird_name_x');
});

test(
  'any number an engine reports becomes a gauge, including ones ' + 'that appear later; readiness follows the engine',
  async () => {
    let stats: Record<string, number> = { createdFiles: 2, uploadRetries: 3, spoolBytes: 1024 };
    let ready = false;
    const queue = { counters: () => ({ received: 9, queued: 4, written: 5, dropped: 0, failed: 0, capacity: 10 }) };
    const sources = {
      dispatcher: {
        received: 9,
        refused: 0,
        unconfirmed: 0,
        processors: [
          {
            kind: 'storage',
            name: 'storage',
            engineName: 'gcs',
            engine: { stats: () => stats, ready: () => ready },
            queue,
          },
        ],
      },
      isShuttingDown: () => false,
      stalls: { stallOf: () => undefined },
      instanceId: 'i-1',
      startedAt: 0,
      now: () => 1000,
    } as unknown as StatusSources;
    const metrics = new Metrics(() => collectStatus(sources, { snapshots: false }));
    const gcs = { processor: 'storage', engine: 'gcs' };

    let samples = parsePrometheus(await metrics.render());
    assert.equal(sampleValue(samples, 'wt1_storage_upload_retries', gcs), 3);
    assert.equal(sampleValue(samples, 'wt1_storage_spool_bytes', gcs), 1024);
    assert.equal(sampleValue(samples, 'wt1_storage_files_created_total', gcs), 2);
    assert.equal(sampleValue(samples, 'wt1_processor_queue_depth', { processor: 'storage' }), 4);
    assert.equal(sampleValue(samples, 'wt1_storage_ready', gcs), 0);
    assert.equal(sampleValue(samples, 'wt1_ready'), 0);

    stats = { createdFiles: 3, spoolBytes: 0, uploadFailures: 1 };
    ready = true;
    samples = parsePrometheus(await metrics.render());
    assert.equal(
      sampleValue(samples, 'wt1_storage_upload_failures', gcs),
      1,
      'a stat first seen later is exported at once',
    );
    assert.equal(
      samples.filter((s) => s.name === 'wt1_storage_upload_retries').length,
      0,
      'a stat no longer reported is not repeated',
    );
    assert.equal(sampleValue(samples, 'wt1_storage_files_created_total', gcs), 3);
    assert.equal(sampleValue(samples, 'wt1_ready'), 1);
  },
);
