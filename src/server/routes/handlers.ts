import type { AppContext } from '../context.js';
import type { Router } from '../router.js';
import { checkAdmin } from '../admin-guard.js';
import { allowReadOnly, fail, sendJson } from '../respond.js';

const PREFIX = '/internal/handlers/';

/**
 * /internal/handlers/NAME[/sub/path]: the HTTP view of handler NAME, behind the admin protection.
 * A handler with an `http` method answers itself (any method, with `/sub/path`); otherwise GET
 * answers its snapshot as JSON (the CounterHandler's counters). /internal/handlers lists the names.
 */
export function registerHandlers(router: Router, ctx: AppContext): void {
  router.on('/internal/handlers', (req, res) => {
    if (!checkAdmin(ctx, req, res)) return;
    const handlers = ctx.dispatcher.processors.filter((p) => p.kind === 'handler').map((p) => p.name);
    sendJson(res, 200, { handlers });
  });

  router.onPrefix(PREFIX, async (req, res, route) => {
    if (!checkAdmin(ctx, req, res)) return;
    const rest = route.path.slice(PREFIX.length);
    const slash = rest.indexOf('/');
    const name = slash === -1 ? rest : rest.slice(0, slash);
    const subPath = slash === -1 ? '' : rest.slice(slash);
    const processor = ctx.dispatcher.processors.find((p) => p.kind === 'handler' && p.name === name);
    if (processor?.kind !== 'handler') {
      req.resume();
      return fail(res, 'WT1_ERR_NOT_FOUND', `no handler named ${JSON.stringify(name.slice(0, 100))}`);
    }
    const handler = processor.handler;
    if (handler.http) return handler.http(req, res, subPath);
    req.resume();
    if (!allowReadOnly(req, res, route.path)) return;
    // With workers: every worker's snapshot, merged (a handler with its own `http` answers alone).
    sendJson(res, 200, ctx.cluster ? await ctx.cluster.handler(name) : handler.snapshot?.() ?? null);
  });
}
