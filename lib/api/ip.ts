// IPv4 addresses and CIDRs as 32-bit numbers: the arithmetic behind ClusterIP allocation and pod routes.

/** "10.0.0.1" → 167772161; undefined unless four dotted decimal octets 0-255. */
export function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function isIPv4(ip: string): boolean {
  return ipv4ToNumber(ip) !== undefined;
}

export interface Ipv4Cidr {
  /** The network address (host bits cleared). */
  base: number;
  prefixLength: number;
  /** How many addresses the block holds. */
  size: number;
}

/**
 * "10.88.1.7/24" → the /24 network; a bare address is a /32 (as `ip -j route` prints host routes).
 * undefined for anything that is not an IPv4 CIDR.
 */
export function parseIpv4Cidr(cidr: string): Ipv4Cidr | undefined {
  const [addr, lenText, extra] = cidr.trim().split('/');
  if (extra !== undefined) return undefined;
  const ip = ipv4ToNumber(addr);
  if (ip === undefined) return undefined;
  const prefixLength = lenText === undefined ? 32 : /^\d{1,2}$/.test(lenText) ? Number(lenText) : NaN;
  if (!(prefixLength >= 0 && prefixLength <= 32)) return undefined;
  const size = 2 ** (32 - prefixLength);
  return { base: ip - (ip % size), prefixLength, size };
}

/** "10.88.1.7/24" → "10.88.1.0/24"; undefined for anything that is not an IPv4 CIDR. */
export function canonicalIPv4Cidr(cidr: string): string | undefined {
  const c = parseIpv4Cidr(cidr);
  return c && `${numberToIpv4(c.base)}/${c.prefixLength}`;
}

/** Whether two IPv4 CIDRs share any address (false if either is not one). */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseIpv4Cidr(a);
  const y = parseIpv4Cidr(b);
  if (!x || !y) return false;
  return x.base < y.base + y.size && y.base < x.base + x.size;
}

/** Whether an IPv4 address lies in a CIDR. */
export function cidrContains(cidr: string, ip: string): boolean {
  const c = parseIpv4Cidr(cidr);
  const n = ipv4ToNumber(ip);
  return c !== undefined && n !== undefined && n >= c.base && n < c.base + c.size;
}
