import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from './context.js';
import { isLoopback } from '../event/client-address.js';
import { fail } from './respond.js';

/**
 * The admin protection of /internal/* and /metrics. With `adminToken`: `Authorization: Bearer
 * <token>` (401 otherwise). Without: only loopback clients: a loopback peer that names no other
 * client in a forwarding header, so a request relayed by a local load balancer is not taken for a
 * local one (403). (The client address after the trusted-proxy rule adds nothing: with every hop
 * loopback it is loopback.)
 * Returns true when the request may go on; otherwise the answer is already sent.
 */
export function checkAdmin(ctx: AppContext, req: IncomingMessage, res: ServerResponse): boolean {
  const token = ctx.config.adminToken;
  if (token) {
    const header = req.headers.authorization ?? '';
    // The scheme name is case-insensitive (RFC 7235): `bearer` and `BEARER` are the same.
    const given = /^bearer /i.test(header) ? header.slice(7).trim() : '';
    if (given && sameSecret(given, token)) return true;
    fail(res, 'WT1_ERR_UNAUTHORIZED', 'this endpoint needs Authorization: Bearer <adminToken>', { 'WWW-Authenticate': 'Bearer realm="wt1"' });
    return false;
  }
  if (isLoopback(req.socket.remoteAddress ?? '') && !relaysSomeoneElse(req)) return true;
  fail(res, 'WT1_ERR_FORBIDDEN', 'internal endpoints answer loopback clients only (set adminToken to allow remote access)');
  return false;
}

/**
 * Whether the request names a non-loopback client in a forwarding header. Checked whatever
 * `trustedProxies` says: with `trustedProxies=none` a local reverse proxy's requests would otherwise
 * all look local, and every visitor it relays would reach /internal/.
 */
function relaysSomeoneElse(req: IncomingMessage): boolean {
  const h = req.headers;
  const forwarded = [h['x-forwarded-for'], h['x-real-ip'], h.forwarded].filter((v): v is string => typeof v === 'string');
  for (const value of forwarded) {
    for (const part of value.split(/[,;]/)) {
      let hop = part.trim();
      if (hop.toLowerCase().startsWith('for=')) hop = hop.slice(4).replace(/^"|"$/g, '');
      else if (value === h.forwarded) continue; // by=, proto=, host= of the Forwarded header
      if (hop !== '' && !isLoopback(hop)) return true;
    }
  }
  return false;
}

/** Constant-time comparison of secrets of any length. */
function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
