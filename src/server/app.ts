import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { Dispatcher } from '../queue/dispatcher.js';
import { StallWatchdog } from '../queue/stall-watchdog.js';
import { TrustedProxies } from '../event/client-address.js';
import { createEngine, findEngine } from '../storage/registry.js';
import { StorageThread } from '../storage-thread/storage-thread.js';
import type { Processor } from './processors.js';
import { findHandler } from '../handlers/registry.js';
import type { HandlerDescriptor } from '../handlers/handler.js';
import { declareRoutes } from './routes/index.js';
import type { AppContext } from './context.js';
import { createHttpDispatch } from './http-dispatch.js';
import { adminGuard } from './admin-guard.js';
import { Wt1Error } from '../errors.js';
import { silentLogger } from '../log.js';
import { pixelGlobalVisitorId } from './third-party-cookies.js';
import { Metrics } from './metrics.js';
import { BodyBudget } from './body-budget.js';
import { startLine } from './start-line.js';
import { closeNow, closeProcessors, closeServer, listen, openEngines, releaseEngines } from './lifecycle.js';
import { collectStatus, type CollectorStatus } from './status.js';
import { startMetricsServer } from './metrics-server.js';
import { IsolationUnavailable, isolateRequestThread } from './request-thread-isolation.js';
import type { ClusterLink } from './cluster-link.js';

export interface CollectorOptions {
  readonly logger?: Logger;
  /** An injected clock (tests). It cannot cross into the storage thread: the engine then runs on this one. */
  readonly now?: () => number;
  /** Overrides `config.storageThread`. */
  readonly storageThread?: boolean;
  /** When this collector is one worker of `wt1 serve --workers N`: the views over every worker. */
  readonly cluster?: ClusterLink;
  /** The handlers `config` was validated with, when not only the shipped ones (registry.withHandlers). */
  readonly handlers?: readonly HandlerDescriptor[];
}

/** A running wt1 collector: HTTP server, queues and processors. */
export interface Collector {
  readonly server: Server;
  readonly context: AppContext;
  /** Opens the processors (recovering leftovers of a crash) and listens. Resolves with the bound port. */
  start(): Promise<number>;
  /**
   * The ordered shutdown: stop accepting, finish in-flight requests, drain every queue, close the
   * engines (publishing the open file). Idempotent.
   */
  stop(): Promise<void>;
  /** The status /metrics, /internal/live and /ready show (plain data: serialisable). */
  status(options?: { snapshots?: boolean }): CollectorStatus;
}

export function createCollector(config: Config, options: CollectorOptions = {}): Collector {
  const logger = options.logger ?? silentLogger();
  const now = options.now ?? Date.now;
  const metrics = new Metrics(() => context.status({ snapshots: false }));
  const dispatcher = new Dispatcher<Processor>(logger, config.maxQueueSize, config.maxQueueBytes);
  const instanceId = config.instanceId || `${hostname()}-${process.pid}`;

  const onThread = options.storageThread ?? (config.storageThread && options.now === undefined);
  // The group commit runs on the storage thread only: without it nothing would confirm events on disk.
  if (config.ackMode === 'durable' && !onThread)
    throw new Wt1Error(
      'WT1_ERR_CONFIG_INVALID',
      'ackMode: durable needs the storage thread (storageThread=true, and no injected clock)',
    );
  const engineDescriptor = findEngine(config.storage.engine);
  if (!engineDescriptor) throw new Wt1Error('WT1_ERR_ENGINE_UNKNOWN', config.storage.className);
  /**
   * `isolateRequestThread`: applied at start (engines open, before listening) and for a storage thread restarted after
   * a crash.
   */
  const isolate = async (): Promise<void> => {
    try {
      logger.info(
        await isolateRequestThread(),
        'request thread isolated: the other threads of the process run on the other CPUs',
      );
    } catch (error) {
      // Only a tuning: the collector runs on without it, saying why.
      const fields = error instanceof IsolationUnavailable ? { reason: error.message } : { err: error };
      logger.warn(fields, 'isolateRequestThread: not applied, every thread runs on every CPU');
    }
  };
  if (onThread) {
    const onThreadStarted = config.isolateRequestThread ? () => void isolate() : undefined;
    const thread = new StorageThread(config.maxQueueSize, {
      config,
      instanceId,
      logger,
      onThreadStarted,
      onSync: (ms, group) => metrics.observeSync(ms, group),
    });
    dispatcher.add({
      kind: 'storage',
      name: 'storage',
      engineName: engineDescriptor.name,
      engine: thread,
      queue: thread,
    });
  } else {
    const engine = createEngine(engineDescriptor, config, { logger, instanceId, now });
    const queue = dispatcher.boundedQueue('storage', { process: (e) => engine.write(e) });
    dispatcher.add({ kind: 'storage', name: 'storage', engineName: engineDescriptor.name, engine, queue });
  }
  for (const h of config.handlers) {
    const descriptor = findHandler(h.className, options.handlers);
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

  const storageProcessors = dispatcher.processors.filter((p) => p.kind === 'storage');
  const stalls = new StallWatchdog(storageProcessors, config.storageStallTimeout * 1000, now, (stall, resumed) => {
    const fields = {
      processor: stall.processor,
      engine: engineDescriptor.name,
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

  let stopping: Promise<void> | undefined;
  const context: AppContext = {
    config,
    dispatcher,
    stalls,
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
    metrics,
    bodyBudget: new BodyBudget(config.api.maxInFlightBytes),
    cluster: options.cluster,
    isShuttingDown: () => stopping !== undefined,
    status: (statusOptions) => collectStatus(context, statusOptions),
    // Off (the default): the pixel pays one call returning null.
    globalVisitorId: config.thirdPartyCookies
      ? (req, res, queryStrings) => pixelGlobalVisitorId(context, req, res, queryStrings)
      : () => null,
  };

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
  server.on('checkContinue', http.onCheckContinue);
  let metricsServer: Server | undefined;

  return {
    server,
    context,
    status: context.status,
    async start() {
      await openEngines(dispatcher.processors);
      // Now that the engine is open, the threads to move exist; done before listening, so that a
      // collector that answers is already placed.
      if (config.isolateRequestThread) await isolate();
      try {
        await listen(server, config.port, config.host);
      } catch (error) {
        await releaseEngines(dispatcher.processors); // e.g. the port is taken
        throw error;
      }
      const port = (server.address() as AddressInfo).port;
      if (config.metricsPort > 0) {
        try {
          metricsServer = await startMetricsServer(context);
        } catch (error) {
          server.close();
          await releaseEngines(dispatcher.processors);
          throw error;
        }
        logger.info(
          { port: config.metricsPort, host: config.metricsHost },
          'metrics served on their own port, without authentication',
        );
      }
      stalls.start();
      const line = startLine(config, { port, engine: engineDescriptor.name, storageThread: onThread, instanceId });
      logger.info(line.fields, line.message);
      return port;
    },
    stop() {
      stopping ??= (async () => {
        // 1. stop accepting; 2. finish in-flight requests; 3. drain every queue; 4. close engines and handlers
        await closeServer(server);
        await dispatcher.drain();
        await closeProcessors(dispatcher.processors);
        stalls.stop();
        // The metrics port stays open until here, so the drain can be watched.
        if (metricsServer) await closeNow(metricsServer);
        logger.info({ counters: dispatcher.counters() }, 'wt1 stopped');
      })();
      return stopping;
    },
  };
}
