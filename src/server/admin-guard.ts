import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isLoopback } from '../event/client-address.js';
import { Wt1Error } from '../errors.js';

/** Throws 401 / 403 (WT1_ERR_UNAUTHORIZED / WT1_ERR_FORBIDDEN) unless the request may use an admin endpoint. */
export type AdminGuard = (req: IncomingMessage) => void;

const HOW_TO_OPEN = 'set adminToken (WT1_ADMIN_TOKEN) and send Authorization: Bearer <token> to reach it otherwise';

/**
 * Headers a proxy adds on the way: any of them means the request was relayed, so its TCP peer
 * being loopback says nothing about who sent it. Plus every `x-forwarded-*` header.
 */
const RELAY_HEADERS: ReadonlySet<string> = new Set([
  'forwarded',
  'via',
  'x-real-ip',
  'x-client-ip',
  'client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-cluster-client-ip',
  'x-original-forwarded-for',
  'x-original-host',
  'x-host',
  'x-proxyuser-ip',
  'forwarded-for',
  'x-envoy-external-address',
  'x-appengine-user-ip',
]);

/**
 * The admin protection of /internal/*, /metrics (main port), flush and handlers.
 * - With `adminToken`: `Authorization: Bearer <token>` alone decides (401 otherwise).
 * - Without: a direct local request only (403 otherwise, saying how to set a token): the TCP peer is
 *   loopback, no header says a proxy relayed it (a local HAProxy or nginx relays remote visitors
 *   from a loopback peer), `Host` names a loopback host (a page of any site can reach 127.0.0.1
 *   through DNS rebinding, but its requests carry its own host name), and a request that changes
 *   something (not GET or HEAD) comes from no other site (`Origin`, `Sec-Fetch-Site`).
 */
export function adminGuard(adminToken: string): AdminGuard {
  if (adminToken) {
    const refusal = new Wt1Error('WT1_ERR_UNAUTHORIZED', 'this endpoint needs Authorization: Bearer <adminToken>', {
      headers: { 'WWW-Authenticate': 'Bearer realm="wt1"' },
    });
    return (req) => {
      const header = req.headers.authorization ?? '';
      // The scheme name is case-insensitive (RFC 7235): `bearer` and `BEARER` are the same.
      const given = /^bearer /i.test(header) ? header.slice(7).trim() : '';
      if (!given || !sameSecret(given, adminToken)) throw refusal;
    };
  }
  return (req) => {
    const reason = localRefusal(req);
    if (reason)
      throw new Wt1Error(
        'WT1_ERR_FORBIDDEN',
        `without adminToken, admin endpoints answer direct requests from this machine only; ${reason}; ${HOW_TO_OPEN}`,
      );
  };
}

/** Why a request is not a direct local one, or '' when it is. */
export function localRefusal(req: IncomingMessage): string {
  const peer = req.socket.remoteAddress ?? '';
  if (!isLoopback(peer)) return `the client ${peer || '(unknown)'} is not loopback`;
  const relay = relayHeader(req);
  if (relay) return `the request came through a proxy (${relay} header)`;
  const host = req.headers.host;
  if (host === undefined || !isLoopbackHost(host))
    return `Host ${JSON.stringify((host ?? '(none)').slice(0, 100))} is not a loopback name or address`;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const site = req.headers['sec-fetch-site'];
    if (site === 'cross-site') return 'the request came from another site (Sec-Fetch-Site: cross-site)';
    const origin = req.headers.origin;
    if (origin !== undefined && !isLoopbackOrigin(origin))
      return `the request came from another site (Origin ${JSON.stringify(origin.slice(0, 100))})`;
  }
  return '';
}

function relayHeader(req: IncomingMessage): string {
  for (const name in req.headers) {
    if (RELAY_HEADERS.has(name) || name.startsWith('x-forwarded')) return name;
  }
  return '';
}

/** `localhost`, `127.x.x.x`, `[::1]` (IPv4-mapped too), with any port. */
export function isLoopbackHost(host: string): boolean {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[')) {
    const end = name.indexOf(']');
    if (end === -1) return false;
    const rest = name.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return false;
    name = name.slice(1, end);
    return isLoopback(name);
  }
  const colon = name.indexOf(':');
  if (colon !== -1) {
    if (!/^\d{1,5}$/.test(name.slice(colon + 1))) return false;
    name = name.slice(0, colon);
  }
  return name === 'localhost' || (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) && isLoopback(name));
}

function isLoopbackOrigin(origin: string): boolean {
  const match = /^https?:\/\/([^/]+)$/i.exec(origin.trim());
  return match !== null && isLoopbackHost(match[1]);
}

/** Constant-time comparison of secrets of any length. */
function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
