import { BlockList, isIP } from 'node:net';

/**
 * Which peers may tell us the client's address. X-Forwarded-For / X-Real-IP are read only when the
 * TCP peer is trusted; otherwise a client could write any address into the logs (a WT1 defect).
 * Spec entries: `loopback`, `private` (RFC 1918, fc00::/7, link-local), `none`, `all`, an IP or a CIDR.
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  private readonly all: boolean;

  /**
   * `onUntrustedForwarding`: called once, the first time forwarding headers come from a private
   * peer that is not trusted (a load balancer in the same network left out of `trustedProxies`:
   * its visitors would all be logged with its address).
   */
  constructor(
    spec: readonly string[],
    private onUntrustedForwarding?: (peer: string) => void,
  ) {
    this.all = spec.includes('all');
    for (const entry of spec) addEntry(this.list, entry);
  }

  /** Throws with a precise message on a bad entry; used by config validation. */
  static validate(spec: readonly string[]): string[] {
    const problems: string[] = [];
    for (const entry of spec) {
      try {
        addEntry(new BlockList(), entry);
      } catch (e) {
        problems.push(`trustedProxies: ${JSON.stringify(entry)} ${(e as Error).message}`);
      }
    }
    return problems;
  }

  isTrusted(address: string): boolean {
    if (this.all) return true;
    // Peers are few (the load balancers, loopback) and BlockList.check allocates: remember answers.
    const known = this.cache.get(address);
    if (known !== undefined) return known;
    const family = isIP(address);
    const trusted = family !== 0 && this.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
    if (this.cache.size >= 4096) this.cache.clear();
    this.cache.set(address, trusted);
    return trusted;
  }
  private readonly cache = new Map<string, boolean>();

  private warnOnce(peer: string): void {
    const family = isIP(peer);
    if (family === 0 || !PRIVATE.check(peer, family === 4 ? 'ipv4' : 'ipv6')) return;
    const warn = this.onUntrustedForwarding;
    this.onUntrustedForwarding = undefined;
    warn?.(peer);
  }

  /**
   * The client address of a request: walking X-Forwarded-For from the right (the hop our proxy
   * added) and skipping trusted proxies, the first untrusted address; else X-Real-IP; else the peer.
   * Only when the peer itself is trusted.
   */
  clientAddress(peer: string | undefined, forwardedFor: string | undefined, realIp: string | undefined): string {
    const socketAddress = normalizeAddress(peer ?? '');
    if (!this.isTrusted(socketAddress)) {
      if (this.onUntrustedForwarding !== undefined && (forwardedFor !== undefined || realIp !== undefined))
        this.warnOnce(socketAddress);
      return socketAddress;
    }
    if (forwardedFor) {
      const hops = forwardedFor.split(',');
      let leftmost = '';
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = normalizeAddress(hops[i].trim());
        if (isIP(hop) === 0) continue;
        leftmost = hop;
        if (!this.isTrusted(hop)) return hop;
      }
      if (leftmost) return leftmost;
    }
    if (realIp) {
      const hop = normalizeAddress(realIp.trim());
      if (isIP(hop) !== 0) return hop;
    }
    return socketAddress;
  }
}

/** The `private` ranges, for the untrusted-forwarding warning. */
const PRIVATE = new BlockList();

function addEntry(list: BlockList, entry: string): void {
  switch (entry) {
    case 'none':
    case 'all':
      return;
    case 'loopback':
      list.addSubnet('127.0.0.0', 8, 'ipv4');
      list.addAddress('::1', 'ipv6');
      return;
    case 'private':
      list.addSubnet('10.0.0.0', 8, 'ipv4');
      list.addSubnet('172.16.0.0', 12, 'ipv4');
      list.addSubnet('192.168.0.0', 16, 'ipv4');
      list.addSubnet('169.254.0.0', 16, 'ipv4');
      list.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT, used by some cloud load balancers
      list.addSubnet('fc00::', 7, 'ipv6');
      list.addSubnet('fe80::', 10, 'ipv6');
      return;
  }
  const slash = entry.indexOf('/');
  const ip = slash === -1 ? entry : entry.slice(0, slash);
  const family = isIP(ip);
  if (family === 0) throw new Error('is not an IP address, a CIDR, loopback, private, none or all');
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (slash === -1) {
    list.addAddress(ip, type);
    return;
  }
  const bits = Number(entry.slice(slash + 1));
  if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128))
    throw new Error('has a bad prefix length');
  list.addSubnet(ip, bits, type);
}
addEntry(PRIVATE, 'private');

/** `::ffff:1.2.3.4` is shown as `1.2.3.4`; IPv6 brackets and zone ids (`%eth0`) are dropped. */
export function normalizeAddress(address: string): string {
  // the common local case, without a regex
  if (address.length > 7 && address.startsWith('::ffff:127.0.0.1') && address.length === 16) return '127.0.0.1';
  if (address.length > 7 && address.charCodeAt(0) === 58 /* : */ && /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address))
    return address.slice(7);
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const zone = address.indexOf('%');
  return zone === -1 ? address : address.slice(0, zone);
}

export function isLoopback(address: string): boolean {
  const a = normalizeAddress(address);
  return (a.startsWith('127.') && isIP(a) === 4) || a === '::1' || a === '0:0:0:0:0:0:0:1';
}

/** `anonymizeIp`: IPv4 truncated to /24, IPv6 to /48. */
export function anonymizeAddress(address: string): string {
  const family = isIP(address);
  if (family === 4) return address.slice(0, address.lastIndexOf('.')) + '.0';
  if (family === 6) {
    const groups = expandIPv6(address);
    return groups ? `${groups.slice(0, 3).join(':')}::` : address;
  }
  return address;
}

function expandIPv6(address: string): string[] | null {
  const [head, tail] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  if (tail === undefined && h.length !== 8) return null;
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => (parseInt(g, 16) || 0).toString(16));
}
