import type { AppContext } from '../context.js';
import type { Route } from '../router.js';
import { sendJson } from '../respond.js';
import { Wt1Error } from '../../errors.js';

const PREFIX = '/internal/handlers/';

/**
 * /internal/handlers/NAME[/sub/path]: the HTTP view of handler NAME, behind the admin protection.
 * A handler with an `http` method answers itself (any method, with `/sub/path`, a body up to
 * `api.maxBodySize`); otherwise GET answers its snapshot as JSON (the CounterHandler's counters).
 * /internal/handlers lists the names.
 */
export function handlersRoutes(ctx: AppContext): Route[] {
  return [
    {
      path: '/internal/handlers',
      methods: ['GET', 'HEAD'],
      admin: true,
      handler: (_req, res) => {
        const handlers = ctx.dispatcher.processors.filter((p) => p.kind === 'handler').map((p) => p.name);
        sendJson(res, 200, { handlers });
      },
    },
    {
      path: `${PREFIX}*`,
      methods: '*',
      admin: true,
      bodyLimit: ctx.config.api.maxBodySize,
      handler: async (req, res, route) => {
        const rest = route.path.slice(PREFIX.length);
        const slash = rest.indexOf('/');
        const name = slash === -1 ? rest : rest.slice(0, slash);
        const subPath = slash === -1 ? '' : rest.slice(slash);
        const processor = ctx.dispatcher.processors.find((p) => p.kind === 'handler' && p.name === name);
        if (processor?.kind !== 'handler')
          throw new Wt1Error('WT1_ERR_NOT_FOUND', `no handler named ${JSON.stringify(name.slice(0, 100))}`);
        const handler = processor.handler;
        if (handler.http) return handler.http(req, res, subPath);
        req.resume();
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          throw new Wt1Error(
            'WT1_ERR_METHOD_NOT_ALLOWED',
            `${req.method} is not allowed on ${route.path.slice(0, 200)} (GET, HEAD)`,
            { headers: { Allow: 'GET, HEAD' } },
          );
        }
        // With workers: every worker's snapshot, merged (a handler with its own `http` answers alone).
        sendJson(res, 200, ctx.cluster ? await ctx.cluster.handler(name) : (handler.snapshot?.() ?? null));
      },
    },
  ];
}
