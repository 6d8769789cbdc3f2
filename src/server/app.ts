import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { HandlerDescriptor } from '../handlers/handler.js';
import type { EngineDescriptor } from '../storage/engine.js';
import type { AppContext } from './context.js';
import { silentLogger } from '../log.js';
import { Metrics } from './metrics.js';
import { startLine } from './start-line.js';
import { closeNow, closeProcessors, closeServer, listen, openEngines, releaseEngines } from './lifecycle.js';
import type { CollectorStatus } from './status.js';
import { startMetricsServer } from './metrics-server.js';
import type { ClusterLink } from './cluster-link.js';
import {
  buildContext,
  buildHttpServer,
  buildProcessors,
  chooseStorage,
  requestThreadIsolation,
  watchStalls,
  type Basics,
} from './composition.js';

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
  /** The engines `config` was validated with, when not only the shipped ones (storage/registry.withEngines). */
  readonly engines?: readonly EngineDescriptor[];
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

/**
 * A collector composed in named steps (composition.ts): the storage engine and where it runs, the
 * processors and their queues, the stall watchdog, the context the routes receive, the HTTP server.
 * start() and stop() order the lifecycle steps (lifecycle.ts).
 */
export function createCollector(config: Config, options: CollectorOptions = {}): Collector {
  const logger = options.logger ?? silentLogger();
  const basics: Basics = {
    config,
    logger,
    now: options.now ?? Date.now,
    instanceId: config.instanceId || `${hostname()}-${process.pid}`,
  };
  const { engine: engineDescriptor, onThread } = chooseStorage(config, options);
  const isolate = requestThreadIsolation(logger);
  const onThreadStarted = config.isolateRequestThread ? () => void isolate() : undefined;
  const metrics = new Metrics(() => context.status({ snapshots: false }));
  const dispatcher = buildProcessors(
    basics,
    { engine: engineDescriptor, onThread, onThreadStarted },
    options.handlers,
    metrics,
  );
  const stalls = watchStalls(basics, dispatcher, engineDescriptor.name);
  let stopping: Promise<void> | undefined;
  const context: AppContext = buildContext(basics, {
    dispatcher,
    stalls,
    metrics,
    cluster: options.cluster,
    isShuttingDown: () => stopping !== undefined,
  });
  const server = buildHttpServer(context);
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
      const line = startLine(config, {
        port,
        engine: engineDescriptor.name,
        storageThread: onThread,
        instanceId: basics.instanceId,
      });
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
