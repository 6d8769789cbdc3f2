/** The classic 42-byte transparent 1x1 GIF89a answered by the pixel and /public/nothing. */
export const TRANSPARENT_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** The pixel's headers, exactly as WT1 sent them (plus the length). */
export const GIF_HEADERS: Readonly<Record<string, string | number>> = Object.freeze({
  'Content-Type': 'image/gif',
  'Cache-Control': 'private, no-cache, no-cache=Set-Cookie, proxy-revalidate',
  'Access-Control-Allow-Origin': '*',
  'Content-Length': TRANSPARENT_GIF.length,
});

/**
 * The same bytes as a latin1 string. `res.end(TRANSPARENT_GIF_TEXT, 'latin1')` makes Node send the
 * status line, headers and body as one string in one write; a Buffer body is sent as a second
 * chunk (a writev of two buffers).
 */
export const TRANSPARENT_GIF_TEXT = TRANSPARENT_GIF.toString('latin1');
