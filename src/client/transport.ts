import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { backoffDelay, type BackoffOptions } from '../util/backoff.js';
import type { ClientLogger } from './logger.js';

const gzip = promisify(gzipCallback);

export interface TransportOptions extends BackoffOptions {
  /** The full URL of POST /public/events. */
  readonly endpoint: string;
  /** Bodies larger than this many bytes are gzipped. */
  readonly gzipThreshold: number;
  /** Retries after the first attempt before the batch is given up. */
  readonly maxRetries: number;
  /** Abort an attempt that takes longer than this, in ms (then retried). */
  readonly requestTimeout: number;
  readonly fetch: typeof fetch;
  readonly logger: ClientLogger;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * How a message ended: delivered, refused by the server (4xx: never retried), or given up after the
 * retries; `events` is the number of events in its last attempt (0 when all were dropped meanwhile).
 */
export type SendOutcome =
  | { readonly kind: 'sent'; readonly retries: number; readonly events: number }
  | {
      readonly kind: 'rejected';
      readonly retries: number;
      readonly events: number;
      readonly status: number;
      readonly reason: string;
    }
  | { readonly kind: 'failed'; readonly retries: number; readonly events: number; readonly reason: string };

/** The message to send, asked again before each attempt: events may be dropped between two attempts. */
export interface MessageSource {
  /** The message of this attempt, or undefined when none of its events is left. */
  attempt(): { readonly message: object; readonly events: number } | undefined;
  /** The attempt is over (its events may be dropped again). */
  attemptDone(): void;
}

/**
 * Sends one JSON message, gzipped when large, retrying network errors, timeouts and 5xx answers
 * with exponential backoff and jitter. A 4xx answer is final: resending the same body would get
 * the same answer, so the server's reason is logged and the message dropped.
 */
export async function sendMessage(source: MessageSource, options: TransportOptions): Promise<SendOutcome> {
  const sleep = options.sleep ?? defaultSleep;
  for (let retries = 0; ; retries++) {
    const next = source.attempt();
    // all dropped meanwhile: no request made
    if (!next) return { kind: 'sent', retries: Math.max(0, retries - 1), events: 0 };
    const eventCount = next.events;
    let reason: string;
    try {
      const json = Buffer.from(JSON.stringify(next.message), 'utf8');
      const gzipped = json.length > options.gzipThreshold;
      const body = gzipped ? await gzip(json) : json;
      const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
      if (gzipped) headers['Content-Encoding'] = 'gzip';
      const res = await options.fetch(options.endpoint, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(options.requestTimeout),
      });
      const text = await res.text();
      if (res.ok) return { kind: 'sent', retries, events: eventCount };
      if (res.status < 500) {
        options.logger.error(`wt1 refused ${eventCount} events (not retried): ${res.status} ${text}`, {
          status: res.status,
          reason: text,
          events: eventCount,
        });
        return { kind: 'rejected', retries, events: eventCount, status: res.status, reason: text };
      }
      reason = `${res.status} ${text}`;
    } catch (error) {
      reason = describe(error);
    } finally {
      source.attemptDone();
    }
    if (retries >= options.maxRetries) {
      options.logger.error(`wt1 unreachable, ${eventCount} events given up after ${retries + 1} attempts: ${reason}`, {
        reason,
        events: eventCount,
        attempts: retries + 1,
      });
      return { kind: 'failed', retries, events: eventCount, reason };
    }
    const delay = backoffDelay(retries + 1, options, options.random);
    options.logger.warn(`wt1 send failed (${reason}), retry ${retries + 1} of ${options.maxRetries} in ${delay} ms`, {
      reason,
      retry: retries + 1,
      delayMs: delay,
    });
    await sleep(delay);
  }
}

function describe(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.cause?.code) return e.cause.code;
  if (e?.name === 'TimeoutError') return 'request timed out';
  return e?.cause?.message ?? e?.message ?? String(error);
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
