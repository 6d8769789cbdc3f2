import { access } from 'node:fs/promises';
import type { AppContext } from '../context.js';
import type { Router } from '../router.js';
import { GIF_HEADERS, TRANSPARENT_GIF } from '../gif.js';
import { sendText } from '../respond.js';

/** /public/nothing (the GIF, no tracking: the benchmarks' reference) and /isAlive. */
export function registerPublicMisc(router: Router, ctx: AppContext): void {
  router.on('/public/nothing', (_req, res) => {
    res.writeHead(200, GIF_HEADERS as Record<string, string | number>);
    res.end(TRANSPARENT_GIF);
  });

  router.on('/isAlive', async (_req, res) => {
    const file = ctx.config.maintenanceFile;
    if (file && (await exists(file))) {
      sendText(res, 503, 'Server is in maintenance mode', { 'Cache-Control': 'no-store' });
      return;
    }
    sendText(res, 200, 'Server is alive', { 'Cache-Control': 'no-store' });
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
