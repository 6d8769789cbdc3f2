import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { Dispatcher } from '../queue/dispatcher.js';
import { StallWatchdog } from '../queue/stall-watchdog.js';
import { TrustedProxies } from '../event/client-address.js';
import { createEngine, ENGINES, findEngine } from '../storage/registry.js';
import type { EngineDescriptor } from '../storage/engine.js';
import { StorageThread } from '../storage-thread/storage-thread.js';
import { findHandler } from '../handlers/registry.js';
import type { HandlerDescriptor } from '../handlers/handler.js';
import { Wt1Error } from '../errors.js';
import type { Processor } from './processors.js';
import type { AppContext } from './context.js';
import type { Metrics } from './metrics.js';
import { declareRoutes } from './routes/index.js';
import { createHttpDispatch } from './http-dispatch.js';
import { adminGuard } from './admin-guard.js';
import { BodyBudget } from './body-budget.js';
import { pixelGlobalVisitorId } from './third-party-cookies.js';
import { collectStatus } from './status.js';
import { IsolationUnavailable, isolateRequestThread } from './request-thread-isolation.js';
import type { ClusterLink } from './cluster-link.js';

// The steps createCollector (app.ts) composes a collector from, in order: the storage engine and
// where it runs, the processors and their queues, the stall watchdog, the context routes receive,
// the HTTP server. Each takes what it needs and returns what the next ones use.

/** What every step may read. */
export interface Basics {
  readonly config: Config;
  readonly logger: Logger;
  readonly now: () => number;
  readonly instanceId: string;
}

/**
 * The configured engine (among `options.engines`, the shipped ones by default), and whether it runs
 * on the storage thread (`options.storageThread` overrides). An injected clock cannot cross into
 * the storage thread, nor an engine it does not ship: those run on this one.
 */
export function chooseStorage(
  config: Config,
  options: { storageThread?: boolean; now?: () => number; engines?: readonly EngineDescriptor[] },
): { engine: EngineDescriptor; onThread: boolean } {
  const engine = findEngine(config.storage.engine, options.engines);
  if (!engine) throw new Wt1Error('WT1_ERR_ENGINE_UNKNOWN', config.storage.className);
  const shipped = ENGINES.includes(engine);
  const onThread = options.storageThread ?? (config.storageThread && options.now === undefined && shipped);
  // The group commit runs on the storage thread only: without it nothing would confirm events on disk.
  if (config.ackMode === 'durable' && !onThread)
    throw new Wt1Error(
      'WT1_ERR_CONFIG_INVALID',
      'ackMode: durable needs the storage thread (storageThread=true, no injected clock, an engine wt1 ships)',
    );
  return { engine, onThread };
}

/**
 * `isolateRequestThread`: applied at start (engines open, before listening) and for a storage
 * thread restarted after a crash. Only a tuning: when it cannot apply, the collector runs on, saying why.
 */
export function requestThreadIsolation(logger: Logger): () => Promise<void> {
  return async () => {
    try {
      logger.info(
        await isolateRequestThread(),
        'request thread isolated: the other threads of the process run on the other CPUs',
      );
    } catch (error) {
      const fields = error instanceof IsolationUnavailable ? { reason: error.message } : { err: error };
      logger.warn(fields, 'isolateRequestThread: not applied, every thread runs on every CPU');
    }
  };
}

/**
 * The dispatcher and its processors: the storage engine (on the storage thread, or on this one
 * behind a bounded queue), then each configured handler behind its own bounded queue.
 */
export function buildProcessors(
  basics: Basics,
  storage: { engine: EngineDescriptor; onThread: boolean; onThreadStarted?: () => void },
  handlers: readonly HandlerDescriptor[] | undefined,
  metrics: Metrics,
): Dispatcher<Processor> {
  const { config, logger, now, instanceId } = basics;
  const dispatcher = new Dispatcher<Processor>(logger, config.maxQueueSize, config.maxQueueBytes);
  const engineName = storage.engine.name;
  if (storage.onThread) {
    const thread = new StorageThread(config.maxQueueSize, {
      config,
      instanceId,
      logger,
      onThreadStarted: storage.onThreadStarted,
      onSync: (ms, group) => metrics.observeSync(ms, group),
    });
    dispatcher.add({ kind: 'storage', name: 'storage', engineName, engine: thread, queue: thread });
  } else {
    const engine = createEngine(storage.engine, config, { logger, instanceId, now });
    const queue = dispatcher.boundedQueue('storage', { process: (e) => engine.write(e) });
    dispatcher.add({ kind: 'storage', name: 'storage', engineName, engine, queue });
  }
  for (const h of config.handlers) {
    const descriptor = findHandler(h.className, handlers);
    if (!descriptor) throw new Wt1Error('WT1_ERR_HANDLER_UNKNOWN', h.className);
    const handler = descriptor.create(
      h.params,
      { name: h.name, config, logger: logger.child({ handler: h.name }), now },
      h.rawParams,
    );
    dispatcher.add({
      kind: 'handler',
      name: h.name,
      handlerKind: descriptor.name,
      handler,
      queue: dispatcher.boundedQueue(h.name, handler),
    });
  }
  return dispatcher;
}

/** `storageStallTimeout`: logs when a storage processor holds events and writes none, and when it moves again. */
export function watchStalls(basics: Basics, dispatcher: Dispatcher<Processor>, engineName: string): StallWatchdog {
  const { config, logger, now } = basics;
  const storageProcessors = dispatcher.processors.filter((p) => p.kind === 'storage');
  return new StallWatchdog(storageProcessors, config.storageStallTimeout * 1000, now, (stall, resumed) => {
    const fields = {
      processor: stall.processor,
      engine: engineName,
      queued: stall.queued,
      written: stall.written,
      failed: stall.failed,
      stalledSeconds: Math.round((now() - stall.since) / 1000),
    };
    if (resumed) logger.info(fields, 'storage engine progressing again: the stall is over');
    else
      logger.error(
        fields,
        `storage engine stalled: events are queued and none was written or failed for ` +
          `${config.storageStallTimeout} s (storageStallTimeout); /ready answers 503 until it moves`,
      );
  });
}

/** What every route receives (context.ts); its status() is the one status source (status.ts). */
export function buildContext(
  basics: Basics,
  parts: {
    dispatcher: Dispatcher<Processor>;
    stalls: StallWatchdog;
    metrics: Metrics;
    cluster: ClusterLink | undefined;
    isShuttingDown: () => boolean;
  },
): AppContext {
  const { config, logger, now, instanceId } = basics;
  const context: AppContext = {
    config,
    dispatcher: parts.dispatcher,
    stalls: parts.stalls,
    logger,
    now,
    trustedProxies: new TrustedProxies(config.trustedProxies, (peer) =>
      logger.warn(
        { peer, trustedProxies: config.trustedProxies.join(',') },
        'forwarding headers (X-Forwarded-For / X-Real-IP) from a private peer that trustedProxies does not list: ' +
          "they are ignored and the peer's address is logged; add the proxy to trustedProxies (e.g. " +
          'trustedProxies=loopback,private) if it is yours (warned once)',
      ),
    ),
    startedAt: now(),
    instanceId,
    metrics: parts.metrics,
    bodyBudget: new BodyBudget(config.api.maxInFlightBytes),
    cluster: parts.cluster,
    isShuttingDown: parts.isShuttingDown,
    status: (statusOptions) => collectStatus(context, statusOptions),
    // Off (the default): the pixel pays one call returning null.
    globalVisitorId: config.thirdPartyCookies
      ? (req, res, queryStrings) => pixelGlobalVisitorId(context, req, res, queryStrings)
      : () => null,
  };
  return context;
}

/** The node:http server answering the declared routes (routes/index.ts) through one dispatch. */
export function buildHttpServer(context: AppContext): Server {
  const { config, logger, metrics } = context;
  const http = createHttpDispatch({
    routes: declareRoutes(context),
    guard: adminGuard(config.adminToken),
    hasAdminToken: config.adminToken !== '',
    logger,
    wrap: metrics.requestTiming.wrap,
  });
  const server = createServer(
    // 64 KiB of headers: a 10 000-character Referer and User-Agent must fit (Node's default is 16 KiB).
    { requestTimeout: 30_000, headersTimeout: 15_000, keepAliveTimeout: 5_000, maxHeaderSize: 65_536 },
    http.onRequest,
  );
  // Each socket may hold up to maxHeaderSize of partial headers for headersTimeout: the cap bounds that memory.
  server.maxConnections = config.maxConnections;
  // A client may half-close after its body (FIN): an answer that waits (ackMode=durable, parsing on the storage
  // thread) must still be sent, so keep the socket writable until it is (node:http's default drops it). The flag
  // is node:http's own (lib/_http_server.js), missing from @types/node.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('checkContinue', http.onCheckContinue);
  return server;
}
