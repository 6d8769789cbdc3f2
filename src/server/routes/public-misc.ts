import type { AppContext } from '../context.js';
import type { Route } from '../router.js';
import { inMaintenance } from '../maintenance.js';
import { GIF_HEADERS, TRANSPARENT_GIF_TEXT } from '../gif.js';
import { sendText } from '../respond.js';

/** WT1's exact answer: health checks may compare the body byte for byte. */
export const IS_ALIVE_BODY = 'Server is alive\r\n';
export const IN_MAINTENANCE_BODY = 'Server is in maintenance mode';

/** /public/nothing (the GIF, no tracking: the benchmarks' reference) and /isAlive. */
export function publicMiscRoutes(ctx: AppContext): Route[] {
  return [
    {
      path: '/public/nothing',
      methods: '*',
      handler: (_req, res) => {
        res.writeHead(200, GIF_HEADERS as Record<string, string | number>);
        res.end(TRANSPARENT_GIF_TEXT, 'latin1');
      },
    },
    {
      path: '/isAlive',
      methods: '*',
      handler: async (_req, res) => {
        if (await inMaintenance(ctx.config))
          return sendText(res, 503, IN_MAINTENANCE_BODY, { 'Cache-Control': 'no-store' });
        sendText(res, 200, IS_ALIVE_BODY, { 'Cache-Control': 'no-store' });
      },
    },
  ];
}
