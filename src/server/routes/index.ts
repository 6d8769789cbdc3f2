import type { AppContext } from '../context.js';
import type { Route } from '../router.js';
import { publicMiscRoutes } from './public-misc.js';
import { internalRoutes } from './internal.js';
import { snippetRoutes } from './snippet.js';
import { globalIdRoutes } from './global-id.js';
import { cookieOptoutRoutes } from './cookie-optout.js';
import { handlersRoutes } from './handlers.js';
import { livePageRoutes } from './live-page.js';
import { metricsRoutes } from './metrics.js';
import { readyRoutes } from './ready.js';
import { inputRoutes } from './inputs.js';

/** Every route module, in one list: a new endpoint is a file in this folder and one line here. */
export const ROUTES: ReadonlyArray<(ctx: AppContext) => readonly Route[]> = [
  publicMiscRoutes,
  internalRoutes,
  snippetRoutes,
  globalIdRoutes,
  cookieOptoutRoutes,
  handlersRoutes,
  livePageRoutes,
  metricsRoutes,
  readyRoutes,
  // The pixel, /public/events and the tracker inputs (src/inputs/registry.ts).
  inputRoutes,
];

/** The routes of a collector, declared (src/server/router.ts). */
export function declareRoutes(ctx: AppContext): Route[] {
  return ROUTES.flatMap((routes) => routes(ctx));
}
