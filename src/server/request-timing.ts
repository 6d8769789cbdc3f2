import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RouteHandler, RouteRequest } from './router.js';

/** Upper bounds (seconds) of the latency buckets: the pixel lives in the first ones. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

const METRIC = 'wt1_http_request_duration_seconds';

/** Bucket counts, sum and count of one (route, status code) pair. */
interface Series {
  readonly route: string;
  readonly code: string;
  /** counts[i]: observations <= LATENCY_BUCKETS[i] only (not cumulative; summed at scrape). */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A value in prom-client's collected-metric shape (what `Registry` formats). */
interface MetricValue {
  readonly metricName: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

/**
 * The request latency histogram per endpoint, as a prom-client registry metric. prom-client's own
 * Histogram hashes its labels and allocates on every `observe`; the pixel path must stay cheap, so
 * this one keeps a plain array of counters per route and status code (found by one property read)
 * and does the Prometheus formatting only at scrape time.
 */
export class RequestTiming {
  readonly name = METRIC;
  readonly help =
    'Time from the request being routed to the response being handed to the socket, per endpoint and status code.';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series: Series[] = [];

  /**
   * Wraps a route handler so each of its requests is timed under `route` (the registered path, not
   * the requested one, so the label set stays small).
   */
  wrap = (route: string, handler: RouteHandler): RouteHandler => {
    const byCode: Record<number, Series> = Object.create(null) as Record<number, Series>;
    const record = (res: ServerResponse, started: number): void => {
      const code = res.statusCode;
      const series = byCode[code] ?? (byCode[code] = this.newSeries(route, String(code)));
      observe(series, (performance.now() - started) / 1000);
    };
    return (req: IncomingMessage, res: ServerResponse, request: RouteRequest) => {
      const started = performance.now();
      let pending: void | Promise<void>;
      try {
        pending = handler(req, res, request);
      } catch (error) {
        res.once('finish', () => record(res, started)); // the error answer is timed too
        throw error;
      }
      // A handler that answered synchronously (the pixel, /public/nothing) has handed its response
      // to the socket already: recorded now, without a 'finish' listener and its closure per request.
      if (pending === undefined && res.writableEnded) record(res, started);
      else res.once('finish', () => record(res, started));
      return pending;
    };
  };

  /** prom-client calls this on every scrape (`registry.metrics()`). */
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    for (const s of this.series) {
      let cumulative = 0;
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
        cumulative += s.counts[i];
        values.push({
          metricName: `${METRIC}_bucket`,
          labels: { le: LATENCY_BUCKETS[i], route: s.route, code: s.code },
          value: cumulative,
        });
      }
      values.push({
        metricName: `${METRIC}_bucket`,
        labels: { le: '+Inf', route: s.route, code: s.code },
        value: s.count,
      });
      values.push({ metricName: `${METRIC}_sum`, labels: { route: s.route, code: s.code }, value: s.sum });
      values.push({ metricName: `${METRIC}_count`, labels: { route: s.route, code: s.code }, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  private newSeries(route: string, code: string): Series {
    const series: Series = { route, code, counts: new Float64Array(LATENCY_BUCKETS.length), sum: 0, count: 0 };
    this.series.push(series);
    return series;
  }
}

function observe(series: Series, seconds: number): void {
  series.sum += seconds;
  series.count++;
  for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
    if (seconds <= LATENCY_BUCKETS[i]) {
      series.counts[i]++;
      return;
    }
  }
}
