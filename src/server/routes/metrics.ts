import type { AppContext } from '../context.js';
import type { Route } from '../router.js';
import { sendMetrics } from '../metrics-server.js';

/**
 * GET /metrics on the main port, behind the admin protection. With `metricsPort` > 0 the metrics
 * live on that port only (src/server/metrics-server.ts) and the main port does not answer them.
 */
export function metricsRoutes(ctx: AppContext): Route[] {
  if (ctx.config.metricsPort > 0) return [];
  return [{ path: '/metrics', methods: ['GET', 'HEAD'], admin: true, handler: (_req, res) => sendMetrics(ctx, res) }];
}
