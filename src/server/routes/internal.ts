import type { AppContext } from '../context.js';
import type { Route } from '../router.js';
import { sendJson } from '../respond.js';
import { liveSnapshot } from '../live-snapshot.js';
import { flushLocal } from '../flush.js';
import { Wt1Error } from '../../errors.js';

const READ = ['GET', 'HEAD'];

/** /internal/live (JSON) and /internal/flush (POST), behind the admin protection. */
export function internalRoutes(ctx: AppContext): Route[] {
  return [
    {
      path: '/internal/live',
      methods: READ,
      admin: true,
      handler: async (_req, res) => sendJson(res, 200, ctx.cluster ? await ctx.cluster.live() : liveSnapshot(ctx)),
    },
    {
      path: '/internal/flush',
      methods: ['POST'],
      admin: true,
      handler: async (_req, res) => {
        if (ctx.cluster) {
          // Every worker flushes; the answer comes once all have published.
          const flushed = await ctx.cluster.flush();
          ctx.logger.info({ published: flushed.published }, 'flush of every worker requested');
          return sendJson(res, 200, flushed);
        }
        const published = await flushLocal(ctx);
        ctx.logger.info({ published }, 'flush requested');
        sendJson(res, 200, { flushed: true, published });
      },
    },
    {
      // Anything else under /internal/ is not found, but only after the admin check (no probing).
      path: '/internal/*',
      methods: '*',
      admin: true,
      handler: (_req, _res, route) => {
        throw new Wt1Error('WT1_ERR_NOT_FOUND', `no such endpoint: ${route.path.slice(0, 200)}`);
      },
    },
  ];
}
