/** The classic 42-byte transparent 1x1 GIF89a answered by the pixel and /public/nothing. */
export const TRANSPARENT_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** The pixel's headers, exactly as WT1 sent them (plus the length). */
export const GIF_HEADERS: Readonly<Record<string, string | number>> = Object.freeze({
  'Content-Type': 'image/gif',
  'Cache-Control': 'private, no-cache, no-cache=Set-Cookie, proxy-revalidate',
  'Access-Control-Allow-Origin': '*',
  'Content-Length': TRANSPARENT_GIF.length,
});
