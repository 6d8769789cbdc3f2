import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import type { CollectorStatus, StorageStatus } from './status.js';
import { RequestTiming } from './request-timing.js';
import { VERSION } from '../version.js';

/** engine.stats() keys with a metric of their own; every other number becomes wt1_storage_<snake_case>. */
const NAMED_STATS: Readonly<Record<string, { name: string; help: string }>> = {
  createdFiles: {
    name: 'wt1_storage_files_created_total',
    help: 'Files published by the storage engine (WT1 createdFiles).',
  },
  savedEvents: {
    name: 'wt1_storage_saved_events_total',
    help: 'Events handed to a file by the storage engine (WT1 savedEvents).',
  },
  savedEventsInputSize: {
    name: 'wt1_storage_input_bytes_total',
    help: 'Uncompressed bytes written by the storage engine (WT1 savedEventsInputSize).',
  },
  savedEventsGZippedSize: {
    name: 'wt1_storage_gzipped_bytes_total',
    help: 'Compressed bytes written by the storage engine (WT1 savedEventsGZippedSize).',
  },
  lostEvents: {
    name: 'wt1_storage_lost_events_total',
    help: 'Events handed to a file that failed (disk full, I/O error) before they reached the disk.',
  },
};

type ProcessorLabels = 'processor' | 'kind';
type StorageLabels = 'processor' | 'engine';

/**
 * Process metrics (CPU, memory, event loop, GC) describe the whole process, so one registry holds
 * them for every collector of the process; each collector's own registry is appended to it.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * The Prometheus view of a collector. Counters are read from the queues and engines at scrape time
 * (nothing is counted twice, nothing runs on the request path) except the request latency
 * histogram, which the router feeds (see RequestTiming).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly requestTiming = new RequestTiming();
  private readonly received: Counter;
  private readonly refused: Counter;
  private readonly unconfirmed: Counter;
  private readonly syncSeconds: Histogram;
  private readonly syncGroup: Histogram;
  private readonly perProcessor: Record<'received' | 'written' | 'dropped' | 'failed', Counter<ProcessorLabels>>;
  private readonly queueDepth: Gauge<ProcessorLabels>;
  private readonly queueCapacity: Gauge<ProcessorLabels>;
  private readonly ready: Gauge;
  private readonly storageReady: Gauge<StorageLabels>;
  private readonly storageStalled: Gauge<StorageLabels>;
  private readonly spoolBytes: Gauge<StorageLabels>;
  private readonly info: Gauge<'instance_id' | 'engine' | 'version'>;
  private readonly namedStats = new Map<string, Counter<StorageLabels>>();
  private readonly otherStats = new Map<string, Gauge<StorageLabels>>();

  /** `status`: the collector's status, read at each scrape (collectStatus without handler snapshots). */
  constructor(private readonly status: () => CollectorStatus) {
    const registers = [this.registry];
    this.info = new Gauge({
      name: 'wt1_info',
      help: 'Always 1; the labels describe this instance.',
      labelNames: ['instance_id', 'engine', 'version'],
      registers,
    });
    this.received = new Counter({
      name: 'wt1_events_received_total',
      help: 'Events received (pixel and API), before any queue (WT1 receivedEvents).',
      registers,
    });
    this.refused = new Counter({
      name: 'wt1_events_refused_total',
      help:
        'API events refused whole with 503 because a processor queue could not take their message (never ' +
        'received).',
      registers,
    });
    this.unconfirmed = new Counter({
      name: 'wt1_events_unconfirmed_total',
      help: 'ackMode=durable: events taken whose sender was answered 503 WT1_ERR_NOT_DURABLE (write or fsync failed).',
      registers,
    });
    this.syncSeconds = new Histogram({
      name: 'wt1_durable_sync_seconds',
      help: 'ackMode=durable: time of each group commit (sync flush + fdatasync) on the storage thread.',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.syncGroup = new Histogram({
      name: 'wt1_durable_group_events',
      help: 'ackMode=durable: events made durable by one sync (group commit).',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    });
    const processorCounter = (what: string, help: string): Counter<ProcessorLabels> =>
      new Counter({ name: `wt1_processor_${what}_total`, help, labelNames: ['processor', 'kind'], registers });
    this.perProcessor = {
      received: processorCounter('received', 'Events offered to the processor queue.'),
      written: processorCounter('written', 'Events the processor handled (WT1 processedEvents).'),
      dropped: processorCounter(
        'dropped',
        'Events dropped because the processor queue was full (WT1 lostInQueueEvents).',
      ),
      failed: processorCounter('failed', 'Events the processor failed on (WT1 processFailedEvents).'),
    };
    this.queueDepth = new Gauge({
      name: 'wt1_processor_queue_depth',
      help: 'Events waiting in the processor queue, the one being processed included (WT1 queuedEvents).',
      labelNames: ['processor', 'kind'],
      registers,
    });
    this.queueCapacity = new Gauge({
      name: 'wt1_processor_queue_capacity',
      help: 'Capacity of the processor queue (maxQueueSize).',
      labelNames: ['processor', 'kind'],
      registers,
    });
    this.ready = new Gauge({
      name: 'wt1_ready',
      help: '1 when /ready answers 200 (every storage engine ready, not shutting down).',
      registers,
    });
    this.storageReady = new Gauge({
      name: 'wt1_storage_ready',
      help: '1 when the storage engine accepts events.',
      labelNames: ['processor', 'engine'],
      registers,
    });
    this.storageStalled = new Gauge({
      name: 'wt1_storage_stalled',
      help: '1 while the storage engine holds queued events and finishes none for storageStallTimeout seconds.',
      labelNames: ['processor', 'engine'],
      registers,
    });
    this.spoolBytes = new Gauge({
      name: 'wt1_durable_spool_bytes',
      help: 'ackMode=durable, engines that send elsewhere: bytes in the write-ahead spool, not confirmed yet.',
      labelNames: ['processor', 'engine'],
      registers,
    });
    for (const [stat, { name, help }] of Object.entries(NAMED_STATS)) {
      this.namedStats.set(stat, new Counter({ name, help, labelNames: ['processor', 'engine'], registers }));
    }
    this.registry.registerMetric(this.requestTiming as unknown as Metric);
  }

  /** ackMode=durable: one group commit of the storage thread. */
  observeSync(ms: number, group: number): void {
    this.syncSeconds.observe(ms / 1000);
    this.syncGroup.observe(group);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of this collector and of the process. */
  async render(): Promise<string> {
    this.refresh();
    const own = await this.registry.metrics();
    return own + '\n' + (await processMetrics().metrics());
  }

  /**
   * The same metrics as prom-client JSON (name, type, help, values with labels): what a worker of
   * `wt1 serve --workers N` hands the primary, which labels and merges those of every worker.
   */
  async json(): Promise<unknown[]> {
    this.refresh();
    return [...(await this.registry.getMetricsAsJSON()), ...(await processMetrics().getMetricsAsJSON())];
  }

  private refresh(): void {
    const status = this.status();
    setCounter(this.received, {}, status.receivedEvents);
    setCounter(this.refused, {}, status.refusedEvents);
    setCounter(this.unconfirmed, {}, status.unconfirmedEvents);
    this.queueDepth.reset();
    this.queueCapacity.reset();
    for (const counter of Object.values(this.perProcessor)) counter.reset();
    for (const counter of this.namedStats.values()) counter.reset();
    for (const gauge of this.otherStats.values()) gauge.reset();
    this.storageReady.reset();
    this.storageStalled.reset();
    this.spoolBytes.reset();
    this.info.reset();

    this.ready.set(status.ready ? 1 : 0);
    const engines: string[] = [];
    for (const p of status.processors) {
      const c = p.counters;
      const labels = { processor: p.name, kind: p.kind };
      this.perProcessor.received.inc(labels, c.received);
      this.perProcessor.written.inc(labels, c.written);
      this.perProcessor.dropped.inc(labels, c.dropped);
      this.perProcessor.failed.inc(labels, c.failed);
      this.queueDepth.set(labels, c.queued);
      this.queueCapacity.set(labels, c.capacity);
      if (p.kind === 'storage') this.refreshStorage(p, engines);
    }
    this.info.set({ instance_id: status.instanceId, engine: engines.join(','), version: VERSION }, 1);
  }

  private refreshStorage(p: StorageStatus, engines: string[]): void {
    engines.push(p.engine);
    const storageLabels = { processor: p.name, engine: p.engine };
    this.storageReady.set(storageLabels, p.ready ? 1 : 0);
    this.storageStalled.set(storageLabels, p.stalled ? 1 : 0);
    for (const [stat, value] of Object.entries(p.stats)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      if (stat === 'durableSpoolBytes') {
        this.spoolBytes.set(storageLabels, value);
        continue;
      }
      const named = this.namedStats.get(stat);
      if (named) {
        if (value >= 0) named.inc(storageLabels, value);
        continue;
      }
      this.statGauge(stat)?.set(storageLabels, value);
    }
  }

  /** The gauge for an engine-specific stat (upload retries, spool size...), made on first sight. */
  private statGauge(stat: string): Gauge<StorageLabels> | undefined {
    const existing = this.otherStats.get(stat);
    if (existing) return existing;
    const name = `wt1_storage_${snakeCase(stat)}`;
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name) || this.registry.getSingleMetric(name)) return undefined;
    const gauge = new Gauge({
      name,
      help: `The storage engine's "${stat}" statistic (see the engine's documentation).`,
      labelNames: ['processor', 'engine'],
      registers: [this.registry],
    });
    this.otherStats.set(stat, gauge);
    return gauge;
  }
}

/** A counter whose value is owned elsewhere: set it to `value` (prom-client counters only go up). */
function setCounter(counter: Counter, labels: Record<string, string>, value: number): void {
  counter.reset();
  counter.inc(labels, value);
}

/** uploadRetries -> upload_retries, spoolBytes -> spool_bytes. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .toLowerCase();
}
