// The page's constants, from its URL where the operator may set them.

const query = new URLSearchParams(location.search);

/** Poll interval (ms); `?interval=` overrides it (100 ms to 60 s). */
export const POLL_MS = Math.min(60000, Math.max(100, Number(query.get('interval')) || 1000));
/** Rate samples kept for the chart: 5 minutes at the default interval. */
export const MAX_SAMPLES = 300;
/** Longer values are cut in the tables; the whole value is in the cell's title (on hover). */
export const CELL_CHARS = 72;
/** At most this many handler values are shown per handler. */
export const MAX_HANDLER_VALUES = 60;
/** sessionStorage key of the admin token (kept for the tab's life only). */
export const TOKEN_KEY = 'wt1.adminToken';
