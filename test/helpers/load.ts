import { Agent, request } from 'node:http';
import { waitFor as waitUntil } from './wait.js';

/** The fate of one pixel hit sent by `runPixelLoad`. */
export interface Hit {
  readonly id: number;
  readonly sentAt: number;
  /** HTTP status, or 0 when the request failed (connection refused or reset). */
  status: number;
  answeredAt: number;
}

export interface PixelLoad {
  /** Every hit sent so far, by id. */
  readonly hits: Hit[];
  /** Stops sending; resolves once every request in flight has ended. */
  stop(): Promise<Hit[]>;
  /** Resolves once `maxHits` hits were sent and answered (or the load was stopped). */
  readonly done: Promise<Hit[]>;
}

/**
 * A bounded pixel load against `baseUrl`: `concurrency` loops, each sending one hit at a time with a
 * unique `hit=<id>` event param (so the files can be checked hit by hit), until `stop()` or `maxHits`.
 * `pauseMs` between the hits of a loop keeps a time-bound phase within `maxHits`.
 * `newConnections` opens a TCP connection per hit (node:cluster balances connections, not requests).
 */
export function runPixelLoad(
  baseUrl: string,
  options: {
    concurrency?: number;
    maxHits?: number;
    newConnections?: boolean;
    visitor?: string;
    pauseMs?: number;
  } = {},
): PixelLoad {
  const concurrency = options.concurrency ?? 4;
  const maxHits = options.maxHits ?? 5000;
  const agent = options.newConnections ? undefined : new Agent({ keepAlive: true, maxSockets: concurrency });
  const hits: Hit[] = [];
  let stopped = false;
  const url = new URL(baseUrl);
  const one = (hit: Hit): Promise<void> =>
    new Promise((resolve) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: `/public/p.gif?__wt1ty=page&__wt1vic=${options.visitor ?? 'load'}&hit=${hit.id}`,
          agent: agent ?? false,
          headers: { 'User-Agent': 'wt1-test-load' },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            hit.status = res.statusCode ?? 0;
            hit.answeredAt = Date.now();
            resolve();
          });
          res.on('error', () => {
            hit.answeredAt = Date.now();
            resolve();
          });
        },
      );
      req.setTimeout(10_000, () => req.destroy());
      req.on('error', () => {
        hit.answeredAt = Date.now();
        resolve();
      });
      req.end();
    });
  const loop = async (): Promise<void> => {
    while (!stopped && hits.length < maxHits) {
      const hit: Hit = { id: hits.length, sentAt: Date.now(), status: 0, answeredAt: 0 };
      hits.push(hit);
      await one(hit);
      if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  const done = Promise.all(loops).then(() => {
    agent?.destroy();
    return hits;
  });
  return {
    hits,
    done,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent?.destroy();
      return hits;
    },
  };
}

/** The hit ids found in rows (the `hit` event param), with how many times each was found. */
export function hitCounts(rows: readonly Record<string, string | null>[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const row of rows) {
    const m = /(?:^|&)hit=(\d+)(?:&|$)/.exec(row.event_params ?? '');
    if (!m) continue;
    const id = Number(m[1]);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Waits until `condition()` holds (helpers/wait.ts with the arguments the other way round). */
export function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  return waitUntil(what, condition, timeoutMs);
}

/** The JSON log lines in a process output (pino), skipping anything else. */
export function logRecords(output: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* a partial line */
    }
  }
  return out;
}
