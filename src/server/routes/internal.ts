import type { AppContext } from '../context.js';
import type { Router } from '../router.js';
import { checkAdmin } from '../admin-guard.js';
import { allowReadOnly, fail, sendJson } from '../respond.js';
import { liveSnapshot } from '../live-snapshot.js';

/** /internal/live (JSON) and /internal/flush (POST), behind the admin protection. */
export function registerInternal(router: Router, ctx: AppContext): void {
  router.on('/internal/live', (req, res) => {
    if (!checkAdmin(ctx, req, res)) return;
    if (!allowReadOnly(req, res, '/internal/live')) return;
    sendJson(res, 200, liveSnapshot(ctx));
  });

  router.on('/internal/flush', async (req, res) => {
    if (!checkAdmin(ctx, req, res)) return;
    if (req.method !== 'POST') return fail(res, 'WT1_ERR_METHOD_NOT_ALLOWED', `${req.method} is not allowed on /internal/flush (use POST)`, { Allow: 'POST' });
    req.resume();
    const published: string[] = [];
    for (const p of ctx.dispatcher.processors) {
      if (p.kind !== 'storage') continue;
      await p.queue.barrier(); // events received before the flush go into the flushed file
      published.push(...(await p.engine.flush()).published);
    }
    ctx.logger.info({ published }, 'flush requested');
    sendJson(res, 200, { flushed: true, published });
  });

  // Anything else under /internal/ is not found, but only after the admin check (no probing).
  router.onPrefix('/internal/', (req, res, route) => {
    if (!checkAdmin(ctx, req, res)) return;
    fail(res, 'WT1_ERR_NOT_FOUND', `no such endpoint: ${route.path}`);
  });
}
