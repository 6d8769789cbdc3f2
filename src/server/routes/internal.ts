import type { AppContext } from '../context.js';
import type { Router } from '../router.js';
import { checkAdmin } from '../admin-guard.js';
import { allowReadOnly, fail, sendJson } from '../respond.js';
import { liveSnapshot } from '../live-snapshot.js';
import { flushLocal } from '../flush.js';

/** /internal/live (JSON) and /internal/flush (POST), behind the admin protection. */
export function registerInternal(router: Router, ctx: AppContext): void {
  router.on('/internal/live', async (req, res) => {
    if (!checkAdmin(ctx, req, res)) return;
    if (!allowReadOnly(req, res, '/internal/live')) return;
    sendJson(res, 200, ctx.cluster ? await ctx.cluster.live() : liveSnapshot(ctx));
  });

  router.on('/internal/flush', async (req, res) => {
    if (!checkAdmin(ctx, req, res)) return;
    if (req.method !== 'POST') return fail(res, 'WT1_ERR_METHOD_NOT_ALLOWED', `${req.method} is not allowed on /internal/flush (use POST)`, { Allow: 'POST' });
    req.resume();
    if (ctx.cluster) {
      // Every worker flushes; the answer comes once all have published.
      const flushed = await ctx.cluster.flush();
      ctx.logger.info({ published: flushed.published }, 'flush of every worker requested');
      return sendJson(res, 200, flushed);
    }
    const published = await flushLocal(ctx);
    ctx.logger.info({ published }, 'flush requested');
    sendJson(res, 200, { flushed: true, published });
  });

  // Anything else under /internal/ is not found, but only after the admin check (no probing).
  router.onPrefix('/internal/', (req, res, route) => {
    if (!checkAdmin(ctx, req, res)) return;
    fail(res, 'WT1_ERR_NOT_FOUND', `no such endpoint: ${route.path}`);
  });
}
