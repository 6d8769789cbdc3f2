import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AppContext } from './context.js';
import { createHttpDispatch } from './http-dispatch.js';
import { Wt1Error } from '../errors.js';

export async function sendMetrics(ctx: AppContext, res: ServerResponse): Promise<void> {
  // With workers, every worker's samples, labelled worker="wN" (gathered by the cluster primary).
  const body = Buffer.from(ctx.cluster ? await ctx.cluster.metrics() : await ctx.metrics.render(), 'utf8');
  res.writeHead(200, {
    'Content-Type': ctx.metrics.contentType,
    'Content-Length': body.length,
    'Cache-Control': 'no-store',
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/**
 * The separate metrics port (`metricsPort` > 0): GET /metrics without authentication, for a
 * Prometheus that reaches this port over a network the public cannot. It listens on `metricsHost`
 * (default 127.0.0.1, so nothing is exposed until an operator opens it on purpose).
 */
export async function startMetricsServer(ctx: AppContext): Promise<Server> {
  const http = createHttpDispatch({
    routes: [
      { path: '/metrics', methods: ['GET', 'HEAD'], handler: (_req, res) => sendMetrics(ctx, res) },
      {
        path: '/*',
        methods: '*',
        handler: () => {
          throw new Wt1Error('WT1_ERR_NOT_FOUND', 'the metrics port answers GET /metrics only');
        },
      },
    ],
    guard: () => {},
    hasAdminToken: false,
    logger: ctx.logger,
  });
  const server = createServer(
    { requestTimeout: 30_000, headersTimeout: 15_000, keepAliveTimeout: 5_000 },
    http.onRequest,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(ctx.config.metricsPort, ctx.config.metricsHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
