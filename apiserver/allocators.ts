// Service ClusterIP and NodePort allocators. Their state is the set of stored Services: it is rebuilt
// from storage at start (so it persists with the data dir) and updated as Services are written, so an
// address or port is never handed out twice.

export function parseCIDR(cidr: string): { base: number; size: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) throw new Error(`invalid CIDR ${JSON.stringify(cidr)}`);
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 30 || bits < 8) throw new Error(`invalid service CIDR ${cidr}`);
  const ip = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), size };
}

export function ipToString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function ipToNumber(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const o = m.slice(1, 5).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3];
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
    const { base, size } = parseCIDR(cidr);
    this.range = new RangeAllocator(base + 2, size - 3, ipToString, 'ClusterIP');
    this.firstIP = ipToString(base + 1);
  }
  next(): string {
    return this.range.next();
  }
  inRange(ip: string): boolean {
    const n = ipToNumber(ip);
    return n !== undefined && this.range.contains(n);
  }
  claim(ip: string): boolean {
    const n = ipToNumber(ip);
    return n === undefined || !this.range.contains(n) ? true : this.range.claim(n);
  }
  release(ip: string): void {
    const n = ipToNumber(ip);
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
