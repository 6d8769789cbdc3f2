/** Longest query string sent in a GIF URL; above it the hit is POSTed (WT1's threshold). */
export const MAX_GET_LENGTH = 1800;

/** Events during which the page is being left: an image load started now may be cancelled. */
const LEAVING_EVENTS = /^(pagehide|unload|beforeunload|visibilitychange)$/;

/**
 * Whether the page is hidden or being left. `window.event` (the event being dispatched) catches a
 * hit sent from the page's own `pagehide` handler, which may run before any listener of ours
 * (listeners on window run in registration order, and the page registers first).
 */
function leaving(): boolean {
  const event = window.event;
  return document.visibilityState === 'hidden' || (!!event && LEAVING_EVENTS.test(event.type));
}

/**
 * Sends one hit. Short hits load the GIF (`new Image()`); long hits and hits made while the page
 * is being left are POSTed as a `text/plain` body, which needs no CORS preflight: with
 * `navigator.sendBeacon`, else `fetch` with `keepalive`.
 */
export function send(url: string, query: string): void {
  if (query.length <= MAX_GET_LENGTH && !leaving()) {
    new Image().src = url + '?' + query;
    return;
  }
  let queued = false;
  try {
    queued = navigator.sendBeacon(url, query);
  } catch {
    // no sendBeacon, or it refused the body: fall through to fetch
  }
  if (!queued)
    fetch(url, { method: 'POST', body: query, keepalive: true, mode: 'no-cors', credentials: 'include' }).catch(
      () => {},
    );
}
