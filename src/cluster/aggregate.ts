/**
 * The views over all workers of `wt1 serve --workers N`, as pure functions over the status objects
 * each worker reports (its /internal/live document, its metrics as prom-client JSON, its flush,
 * a handler's snapshot). The primary gathers them (src/cluster/hub.ts) and calls these.
 */

export type WorkerState = 'starting' | 'running' | 'restarting' | 'stopping';

/** What the primary knows of one worker slot. */
export interface WorkerInfo {
  /** `w<slot>`, the label of its metrics. */
  readonly name: string;
  readonly slot: number;
  readonly pid: number | undefined;
  readonly instanceId: string | undefined;
  readonly state: WorkerState;
  /** How many times this slot's worker was replaced after dying. */
  readonly restarts: number;
}

/** One worker's report for a view. */
export interface WorkerReport<T> {
  readonly worker: WorkerInfo;
  /** Its view now, or undefined when it did not answer (see `error`). */
  readonly value: T | undefined;
  readonly error?: string;
}

export type Live = Record<string, unknown>;

/** One worker's contribution to /internal/live. */
export interface LiveReport extends WorkerReport<Live> {
  /** When the worker did not answer: the counters it last sent (every second). */
  readonly lastCounters?: Live;
  /** The counters of this slot's earlier processes, replaced after they died (last known). */
  readonly previous?: Live;
}

/** At most this many events in the merged `lastEvents`, as on one collector. */
export const LAST_EVENTS = 100;

/**
 * Keys that hold a level (a queue depth, a capacity, visits active now, a readiness) rather than a
 * count since start: the workers' levels are added up, but a dead worker's levels are not kept.
 */
const LEVEL_KEY =
  /^(queued|queuedEvents|capacity|activeVisitsGauge|uptimeSeconds|ready)$|Gauge$|^spool|^pending|^inFlight/;

/**
 * Adds two status objects: numbers are summed, `ready` flags are and-ed and other flags or-ed,
 * objects are added key by key, lists of named objects (`[{name, ...}]`, e.g. the original WT1's
 * `stats.handlers`) name by name, and anything else (strings, other lists) is kept from the first side.
 */
export function addStatus(a: unknown, b: unknown): unknown {
  if (a === undefined || a === null) return b;
  if (b === undefined || b === null) return a;
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a || b;
  if (isNamedList(a) && isNamedList(b)) {
    const out = [...a];
    for (const item of b) {
      const i = out.findIndex((x) => x.name === item.name);
      if (i === -1) out.push(item);
      else out[i] = addStatus(out[i], item) as NamedItem;
    }
    return out;
  }
  if (isObject(a) && isObject(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [key, value] of Object.entries(b)) {
      out[key] =
        key === 'ready' && typeof out[key] === 'boolean' && typeof value === 'boolean'
          ? out[key] && value
          : addStatus(out[key], value);
    }
    return out;
  }
  return a;
}

/** The counts of a status without its levels (what a dead worker leaves behind). */
export function countsOf(status: unknown): unknown {
  if (isNamedList(status)) return status.map((item) => ({ ...(countsOf(item) as object), name: item.name }));
  if (Array.isArray(status)) return undefined;
  if (!isObject(status)) return typeof status === 'number' ? status : undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(status)) {
    if (LEVEL_KEY.test(key) || typeof value === 'string' || typeof value === 'boolean') continue;
    const counts = countsOf(value);
    if (counts !== undefined) out[key] = counts;
  }
  return out;
}

/**
 * /internal/live over every worker: the document of one collector (same keys), its counters the
 * sums over the workers (with the counts of replaced workers), its `lastEvents` the newest of all,
 * and `workers`: each worker with its state, restarts and own top-level counters.
 */
export function aggregateLive(reports: readonly LiveReport[], instanceId: string): Live {
  let total: unknown;
  let uptime = 0;
  let serverTime: unknown;
  const events: Array<Record<string, unknown>> = [];
  const requests: Array<Record<string, unknown>> = [];
  const workers: Live[] = [];
  for (const r of reports) {
    const current = r.value ?? r.lastCounters;
    const { lastEvents, lastRequests, ...counters } = current ?? {};
    total = addStatus(addStatus(total, countsOf(r.previous)), counters);
    if (r.value) {
      uptime = Math.max(uptime, Number(r.value.uptimeSeconds) || 0);
      serverTime ??= r.value.serverTime;
    }
    if (Array.isArray(lastEvents))
      for (const e of lastEvents) events.push({ ...(e as Record<string, unknown>), worker: r.worker.name });
    // The original WT1's key, kept in its own shape (no worker field).
    if (Array.isArray(lastRequests)) for (const e of lastRequests) requests.push(e as Record<string, unknown>);
    workers.push({
      ...r.worker,
      answered: r.value !== undefined,
      ...(r.error ? { error: r.error } : {}),
      ...topLevelNumbers(counters),
      ...(r.previous ? { previousProcesses: topLevelNumbers(countsOf(r.previous) as Live) } : {}),
    });
  }
  // Newest first, as one collector's lastEvents; `serverTS` is epoch ms.
  const newestFirst = (x: Record<string, unknown>, y: Record<string, unknown>): number =>
    Number(y.serverTS) - Number(x.serverTS);
  events.sort(newestFirst);
  requests.sort(newestFirst);
  return {
    ...(total as Live),
    instanceId,
    ...(serverTime !== undefined ? { serverTime } : {}),
    uptimeSeconds: uptime,
    cluster: { workers: reports.length, answered: reports.filter((r) => r.value !== undefined).length },
    workers,
    lastEvents: events.slice(0, LAST_EVENTS),
    ...(reports.some((r) => Array.isArray((r.value ?? r.lastCounters)?.lastRequests))
      ? { lastRequests: requests.slice(0, LAST_EVENTS) }
      : {}),
  };
}

/**
 * A handler's snapshot over every worker: numbers summed, flags or-ed (see addStatus), and each
 * worker's own snapshot under `workers`. Exact for counts of events (the CounterHandler's sums);
 * distinct counts (visitors, visits) are per worker, their sum an upper bound (docs/scaling.md).
 */
export function aggregateHandler(reports: readonly WorkerReport<unknown>[]): Live {
  let merged: unknown;
  const workers: Live = {};
  for (const r of reports) {
    if (r.value !== undefined) merged = addStatus(merged, r.value);
    workers[r.worker.name] = r.value === undefined ? { error: r.error ?? 'no answer' } : r.value;
  }
  return { ...(isObject(merged) ? merged : { value: merged ?? null }), workers };
}

/** /internal/flush over every worker: every published file, and each worker's. */
export function aggregateFlush(reports: readonly WorkerReport<{ published: string[] }>[]): Live {
  const byWorker: Record<string, string[]> = {};
  for (const r of reports) byWorker[r.worker.name] = r.value?.published ?? [];
  return { flushed: true, published: Object.values(byWorker).flat(), workers: byWorker };
}

/** prom-client's JSON of one metric family. */
export interface MetricJson {
  name: string;
  help: string;
  type: string;
  aggregator?: string;
  values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
}

/**
 * The metric families of every worker, each sample labelled `worker="wN"`, plus the cluster's
 * own: `wt1_cluster_workers`, and per worker `wt1_cluster_worker_up` and
 * `wt1_cluster_worker_restarts_total`. Families keep their first worker's help and type.
 */
export function labelMetrics(reports: readonly WorkerReport<MetricJson[]>[]): MetricJson[][] {
  const out: MetricJson[][] = reports.map((r) =>
    (r.value ?? []).map((family) => ({
      ...family,
      // Every sample is the worker's own: nothing is summed (the `worker` label keeps them apart).
      aggregator: 'sum',
      values: family.values.map((v) => ({ ...v, labels: { ...v.labels, worker: r.worker.name } })),
    })),
  );
  const gauge = (name: string, help: string, type: string, values: MetricJson['values']): MetricJson => ({
    name,
    help,
    type,
    aggregator: 'sum',
    values,
  });
  out.push([
    gauge('wt1_cluster_workers', 'Worker slots of this wt1 serve --workers N.', 'gauge', [
      { value: reports.length, labels: {} },
    ]),
    gauge(
      'wt1_cluster_worker_up',
      '1 when the worker answered this scrape (its samples are in it).',
      'gauge',
      reports.map((r) => ({ value: r.value === undefined ? 0 : 1, labels: { worker: r.worker.name } })),
    ),
    gauge(
      'wt1_cluster_worker_restarts_total',
      'Times the worker of this slot died and was replaced.',
      'counter',
      reports.map((r) => ({ value: r.worker.restarts, labels: { worker: r.worker.name } })),
    ),
  ]);
  return out;
}

function topLevelNumbers(status: Live | undefined): Live {
  const out: Live = {};
  for (const [key, value] of Object.entries(status ?? {})) if (typeof value === 'number') out[key] = value;
  return out;
}

type NamedItem = Record<string, unknown> & { name: string };

function isNamedList(value: unknown): value is NamedItem[] {
  return Array.isArray(value) && value.length > 0 && value.every((x) => isObject(x) && typeof x.name === 'string');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
