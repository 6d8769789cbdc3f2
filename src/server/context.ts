import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Dispatcher } from '../queue/dispatcher.js';
import type { Processor } from './processors.js';
import type { StallWatchdog } from '../queue/stall-watchdog.js';
import { anonymizeAddress, type TrustedProxies } from '../event/client-address.js';
import type { Metrics } from './metrics.js';
import type { BodyBudget } from './body-budget.js';
import type { ClusterLink } from './cluster-link.js';
import type { CollectorStatus } from './status.js';

/** What every route receives: the frozen config, the dispatcher, and request helpers. */
export interface AppContext {
  readonly config: Config;
  readonly dispatcher: Dispatcher<Processor>;
  /** `storageStallTimeout`: which storage processors hold events and write none (src/queue/stall-watchdog.ts). */
  readonly stalls: Pick<StallWatchdog, 'stallOf'>;
  readonly logger: Logger;
  readonly now: () => number;
  readonly trustedProxies: TrustedProxies;
  readonly startedAt: number;
  readonly instanceId: string;
  /** The bytes of request bodies in flight, all endpoints together (`api.maxInFlightBytes`). */
  readonly bodyBudget: BodyBudget;
  /** The Prometheus registry of this collector and the request timing (src/server/metrics.ts). */
  readonly metrics: Metrics;
  /** Set when this collector is one worker of `wt1 serve --workers N`: the views over every worker. */
  readonly cluster?: ClusterLink;
  /**
   * The collector's status now (src/server/status.ts): what /metrics, /internal/live and /ready
   * show. `snapshots: false` leaves the handlers' snapshots out.
   */
  status(options?: { snapshots?: boolean }): CollectorStatus;
  /** True once the shutdown began: /ready answers 503 from then on. */
  isShuttingDown(): boolean;
  /**
   * Third-party cookie hook of the pixel: sets the global-id cookies on `res` and returns the global
   * visitor id for the event (null when third-party cookies are off, '' when opted out or DNT / GPC).
   * `queryStrings` (the hit's query, then its form body) give the first-party visitor id that seeds
   * a new global id (src/server/third-party-cookies.ts).
   */
  globalVisitorId(req: IncomingMessage, res: ServerResponse, queryStrings?: readonly string[]): string | null;
}

/**
 * The client's address, after the trusted-proxy rule, IPv4-mapped shown as IPv4, and `anonymizeIp`
 * (every address, loopback too: the admin guard reads the socket's own address, not this one).
 */
export function clientAddressOf(ctx: AppContext, req: IncomingMessage): string {
  const h = req.headers;
  const address = ctx.trustedProxies.clientAddress(
    req.socket.remoteAddress,
    h['x-forwarded-for'] as string | undefined,
    h['x-real-ip'] as string | undefined,
  );
  return ctx.config.anonymizeIp ? anonymizeAddress(address) : address;
}

/** Whether the request came over TLS (directly, or per X-Forwarded-Proto from a trusted proxy). */
export function isHttps(ctx: AppContext, req: IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  const proto = req.headers['x-forwarded-proto'];
  if (typeof proto !== 'string') return false;
  const peer = req.socket.remoteAddress ?? '';
  return (
    ctx.trustedProxies.isTrusted(peer.startsWith('::ffff:') ? peer.slice(7) : peer) &&
    proto.split(',')[0].trim().toLowerCase() === 'https'
  );
}
