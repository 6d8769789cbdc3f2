/** Longest query string sent in a GIF URL; above it the hit is POSTed (WT1's threshold). */
export const MAX_GET_LENGTH = 1800;

let leaving = false;

/**
 * Tracks whether the page is being left (or hidden), when an image load may be cancelled.
 * Capture-phase listeners on window run before the page's own listeners of the same event, so a
 * hit the page sends from its own `pagehide` handler already takes the beacon path.
 */
export function watchPageLifecycle(): void {
  const update = (event: Event): void => {
    leaving = event.type === 'pagehide' || document.visibilityState === 'hidden';
  };
  addEventListener('pagehide', update, true);
  addEventListener('pageshow', update, true);
  addEventListener('visibilitychange', update, true);
}

/**
 * Sends one hit. Short hits load the GIF (`new Image()`); long hits and hits made while the page
 * is being left are POSTed as a `text/plain` body, which needs no CORS preflight: with
 * `navigator.sendBeacon`, else `fetch` with `keepalive`.
 */
export function send(url: string, query: string): void {
  if (query.length <= MAX_GET_LENGTH && !leaving) {
    new Image().src = url + '?' + query;
    return;
  }
  let queued = false;
  try {
    queued = navigator.sendBeacon(url, query);
  } catch {
    // no sendBeacon, or it refused the body: fall through to fetch
  }
  if (!queued) fetch(url, { method: 'POST', body: query, keepalive: true, mode: 'no-cors', credentials: 'include' }).catch(() => {});
}
