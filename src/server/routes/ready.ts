import type { AppContext } from '../context.js';
import type { Route } from '../router.js';
import { inMaintenance } from '../maintenance.js';
import { sendJson } from '../respond.js';
import { readiness } from '../readiness.js';

/**
 * GET /ready: 200 when this instance should receive traffic, 503 otherwise (a storage engine that
 * cannot accept events, a shutdown under way, or the maintenance file present), with a small JSON
 * body saying which. Public like /isAlive, and it reveals nothing a visitor sent. /isAlive only
 * says the process answers (and the maintenance file), as in WT1.
 */
export function readyRoutes(ctx: AppContext): Route[] {
  return [
    {
      path: '/ready',
      methods: '*',
      handler: async (_req, res) => {
        const state = readiness(ctx.status({ snapshots: false }));
        const maintenance = await inMaintenance(ctx.config);
        const ready = state.ready && !maintenance;
        sendJson(res, ready ? 200 : 503, {
          ready,
          shuttingDown: state.shuttingDown,
          maintenance,
          storage: state.storage,
          stalled: state.stalled,
        });
      },
    },
  ];
}
