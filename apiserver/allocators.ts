// Service ClusterIP and NodePort allocators. Their state is the set of stored Services: it is rebuilt
// from storage at start (so it persists with the data dir) and updated as Services are written, so an
// address or port is never handed out twice.
import { ipv4ToNumber, numberToIpv4, parseIpv4Cidr } from '../lib/api/ip';

/** A Service CIDR: an IPv4 network from /8 to /30 (room for the allocator's reserved addresses). */
export function parseServiceCIDR(cidr: string): { base: number; size: number } {
  const c = parseIpv4Cidr(cidr);
  if (!c || !cidr.includes('/')) throw new Error(`invalid CIDR ${JSON.stringify(cidr)}`);
  if (c.prefixLength > 30 || c.prefixLength < 8) throw new Error(`invalid service CIDR ${cidr}`);
  return c;
}

export function parsePortRange(range: string): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(range.trim());
  if (!m) throw new Error(`invalid port range ${JSON.stringify(range)}`);
  const min = Number(m[1]);
  const max = Number(m[2]);
  if (min < 1 || max > 65535 || min > max) throw new Error(`invalid port range ${range}`);
  return { min, max };
}

/** Hands out free values from a range, scanning from a moving cursor. */
class RangeAllocator<T> {
  private readonly used = new Set<number>();
  private cursor = 0;
  constructor(
    private readonly first: number,
    private readonly count: number,
    private readonly format: (n: number) => T,
    private readonly what: string,
  ) {}

  contains(n: number): boolean {
    return n >= this.first && n < this.first + this.count;
  }
  isUsed(n: number): boolean {
    return this.used.has(n);
  }
  /** Marks a value used; false when it is taken already. */
  claim(n: number): boolean {
    if (this.used.has(n)) return false;
    this.used.add(n);
    return true;
  }
  release(n: number): void {
    this.used.delete(n);
  }
  next(): T {
    for (let i = 0; i < this.count; i++) {
      const n = this.first + ((this.cursor + i) % this.count);
      if (!this.used.has(n)) {
        this.used.add(n);
        this.cursor = (this.cursor + i + 1) % this.count;
        return this.format(n);
      }
    }
    throw new Error(`${this.what}: range is full`);
  }
}

/** ClusterIPs: the network and broadcast addresses and the first host (the API service) are skipped. */
export class ClusterIPAllocator {
  private readonly range: RangeAllocator<string>;
  readonly firstIP: string;
  constructor(cidr: string) {
    const { base, size } = parseServiceCIDR(cidr);
    this.range = new RangeAllocator(base + 2, size - 3, numberToIpv4, 'ClusterIP');
    this.firstIP = numberToIpv4(base + 1);
  }
  next(): string {
    return this.range.next();
  }
  inRange(ip: string): boolean {
    const n = ipv4ToNumber(ip);
    return n !== undefined && this.range.contains(n);
  }
  claim(ip: string): boolean {
    const n = ipv4ToNumber(ip);
    return n === undefined || !this.range.contains(n) ? true : this.range.claim(n);
  }
  release(ip: string): void {
    const n = ipv4ToNumber(ip);
    if (n !== undefined) this.range.release(n);
  }
}

export class NodePortAllocator {
  private readonly range: RangeAllocator<number>;
  readonly min: number;
  readonly max: number;
  constructor(portRange: string) {
    const { min, max } = parsePortRange(portRange);
    this.min = min;
    this.max = max;
    this.range = new RangeAllocator(min, max - min + 1, (n) => n, 'NodePort');
  }
  next(): number {
    return this.range.next();
  }
  inRange(port: number): boolean {
    return this.range.contains(port);
  }
  claim(port: number): boolean {
    return this.range.claim(port);
  }
  release(port: number): void {
    this.range.release(port);
  }
}
