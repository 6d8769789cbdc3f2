import type { AppContext } from '../context.js';
import type { Router } from '../router.js';
import { inMaintenance } from '../maintenance.js';
import { GIF_HEADERS, TRANSPARENT_GIF_TEXT } from '../gif.js';
import { sendText } from '../respond.js';

/** /public/nothing (the GIF, no tracking: the benchmarks' reference) and /isAlive. */
export function registerPublicMisc(router: Router, ctx: AppContext): void {
  router.on('/public/nothing', (_req, res) => {
    res.writeHead(200, GIF_HEADERS as Record<string, string | number>);
    res.end(TRANSPARENT_GIF_TEXT, 'latin1');
  });

  router.on('/isAlive', async (_req, res) => {
    if (await inMaintenance(ctx.config)) {
      sendText(res, 503, 'Server is in maintenance mode', { 'Cache-Control': 'no-store' });
      return;
    }
    sendText(res, 200, 'Server is alive', { 'Cache-Control': 'no-store' });
  });
}
