import type { AppContext } from '../context.js';
import type { Router } from '../router.js';
import { checkAdmin } from '../admin-guard.js';
import { allowReadOnly } from '../respond.js';
import { sendMetrics } from '../metrics-server.js';

/**
 * GET /metrics on the main port, behind the admin protection. With `metricsPort` > 0 the metrics
 * live on that port only (src/server/metrics-server.ts) and the main port does not answer them.
 */
export function registerMetrics(router: Router, ctx: AppContext): void {
  if (ctx.config.metricsPort > 0) return;
  router.on('/metrics', async (req, res) => {
    if (!checkAdmin(ctx, req, res)) return;
    if (!allowReadOnly(req, res, '/metrics')) return;
    req.resume();
    await sendMetrics(ctx, res);
  });
}
