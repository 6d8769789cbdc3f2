import { Wt1Error } from '../errors.js';
import type { Trackable } from '../event/pixel-hit.js';
import type { AppContext } from './context.js';

/**
 * The promise behind a 200, for every request whose sender can retry (the JSON API, the tracker
 * inputs, the pixel with ackMode=durable): its events go into every processor queue whole or not at
 * all (503 WT1_ERR_OVERLOADED, nothing queued), and with ackMode=durable the answer waits until they
 * are on disk (503 WT1_ERR_NOT_DURABLE when that fails). `what` names the request in the refusal.
 */
export async function admitWhole(ctx: AppContext, events: readonly Trackable[], what: string): Promise<void> {
  if (!ctx.dispatcher.admit(events)) {
    throw new Wt1Error(
      'WT1_ERR_OVERLOADED',
      `a processor queue cannot take ${what} now (maxQueueSize, maxQueueBytes, or the durable spool's ` +
        'durable.maxSpoolBytes); nothing of it was queued, retry later',
    );
  }
  if (ctx.config.ackMode === 'durable' && events.length > 0 && !(await ctx.dispatcher.whenDurable(events.length))) {
    throw new Wt1Error('WT1_ERR_NOT_DURABLE', `${what} could not be confirmed on disk; retry later`, {
      headers: { 'Retry-After': '1' },
    });
  }
}
