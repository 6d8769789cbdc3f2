import type { Input } from './input.js';

/**
 * WT1's pixel: `GET /public/p.gif?<params>`, or `POST` with a form body (a form post, or text/plain
 * from `navigator.sendBeacon`). The hit is answered with the transparent GIF before anything else
 * and captured raw (`capture: 'hit'`, src/server/routes/pixel.ts): its event is built on the storage
 * thread (src/event/pixel-hit.ts eventFromHit), so `parse` is never called. Parsing is lenient, as
 * WT1's was: a hit is never refused for its params.
 */
export const pixel: Input = {
  name: 'pixel',
  builtin: true,
  capture: 'hit',
  endpoints: [{ path: '/public/p.gif', methods: ['GET', 'POST', 'HEAD'], pathKey: 'pixel' }],
  mediaTypes: ['', 'application/x-www-form-urlencoded', 'text/plain'],
  accepts: 'the pixel accepts application/x-www-form-urlencoded or text/plain bodies',
  sitesKey: '',
  // The transparent GIF (src/server/gif.ts), with WT1's headers, sent by the hit path.
  accepted: { status: 200, contentType: 'image/gif' },
  parse() {
    throw new Error('the pixel is captured as a hit (src/server/routes/pixel.ts), never parsed as a request');
  },
};
