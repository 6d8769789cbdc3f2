import type { AppContext } from '../context.js';
import type { Router } from '../router.js';
import { registerPixel } from './pixel.js';
import { registerPublicMisc } from './public-misc.js';
import { registerInternal } from './internal.js';
import { registerEventsApi } from './events-api.js';
import { registerSnippet } from './snippet.js';
import { registerGlobalId } from './global-id.js';
import { registerCookieOptout } from './cookie-optout.js';
import { registerHandlers } from './handlers.js';
import { registerLivePage } from './live-page.js';
import { registerMetrics } from './metrics.js';
import { registerReady } from './ready.js';

/** Every route module, in one list: a new endpoint is a file in this folder and one line here. */
export const ROUTES: ReadonlyArray<(router: Router, ctx: AppContext) => void> = [
  registerPixel,
  registerPublicMisc,
  registerInternal,
  registerEventsApi,
  registerSnippet,
  registerGlobalId,
  registerCookieOptout,
  registerHandlers,
  registerLivePage,
  registerMetrics,
  registerReady,
];
