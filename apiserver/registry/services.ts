// ClusterIP and NodePort bookkeeping for Service writes: each write is a small transaction that
// claims the addresses/ports the new object uses, and either commits (releasing those the old object
// no longer uses) or rolls back. With a storage, the values are also claimed in the store before the
// Service is written (allocation-claims.ts): the store decides, so apiservers sharing it never hand
// out one value twice; this process's allocators only propose values, following every apiserver's
// claims.
import type { StatusCause } from 'kubernetes-types/meta/v1';
import { ClusterIPAllocator, NodePortAllocator } from '../allocators';
import type { Allocator } from '../defaults';
import { needsHealthCheckNodePort, preserveServiceAllocations } from '../defaults/core';
import type { WriteAllocation } from '../kinds/strategy';
import type { KObj, Storage, StoredObject } from '../storage/types';
import { AllocationClaims, ClaimKind, ClaimOwner, ownerOf } from './allocation-claims';
import { isPlainObject, Json } from './objects';

/** How often every apiserver looks for claims no Service uses and Services without claims (kube: 3 min). */
const REPAIR_INTERVAL_MS = 3 * 60_000;

interface Uses {
  ips: string[];
  ports: number[];
}

function specOf(obj: KObj | undefined): Json {
  return obj && isPlainObject(obj.spec) ? obj.spec : {};
}

function portsOf(spec: Json): Json[] {
  return Array.isArray(spec.ports) ? (spec.ports.filter(isPlainObject) as Json[]) : [];
}

export function usesOf(obj: KObj | undefined): Uses {
  const spec = specOf(obj);
  const ips = new Set<string>();
  if (typeof spec.clusterIP === 'string' && spec.clusterIP && spec.clusterIP !== 'None') ips.add(spec.clusterIP);
  if (Array.isArray(spec.clusterIPs)) for (const ip of spec.clusterIPs) if (typeof ip === 'string' && ip && ip !== 'None') ips.add(ip);
  const ports = [...portsOf(spec).map((p) => p.nodePort), spec.healthCheckNodePort].filter((p): p is number => typeof p === 'number' && Number.isInteger(p) && p > 0);
  return { ips: [...ips], ports };
}

const NEEDS_NODE_PORTS = new Set(['NodePort', 'LoadBalancer']);

/** Replaces an allocated value the store refused with another, wherever the Service names it. */
function replaceValue(obj: KObj, kind: ClaimKind, from: string | number, to: string | number): void {
  const spec = specOf(obj);
  if (kind === 'ip') {
    if (spec.clusterIP === from) spec.clusterIP = to;
    if (Array.isArray(spec.clusterIPs)) spec.clusterIPs = spec.clusterIPs.map((ip) => (ip === from ? to : ip));
  } else {
    for (const p of portsOf(spec)) if (p.nodePort === from) p.nodePort = to;
    if (spec.healthCheckNodePort === from) spec.healthCheckNodePort = to;
  }
}

/** The field naming a node port of the Service (a port's nodePort, or the health check's). */
function nodePortField(spec: Json, port: number): string {
  const i = portsOf(spec).findIndex((p) => p.nodePort === port);
  if (i < 0 && spec.healthCheckNodePort === port) return 'spec.healthCheckNodePort';
  return `spec.ports[${Math.max(0, i)}].nodePort`;
}

export class ServiceAllocations {
  private ips: ClusterIPAllocator;
  private ports: NodePortAllocator;
  private readonly claims: AllocationClaims | undefined;
  /** Values open writes of this process hold (not yet stored or rolled back): kept whatever the store says. */
  private readonly held = { ip: new Map<string, number>(), port: new Map<number, number>() };
  /** Claims the last repair pass found unused (released by the next one if still unused). */
  private suspects = new Set<string>();
  private repairTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ipRange: string,
    private readonly portRange: string,
    storage?: Storage,
  ) {
    this.ips = new ClusterIPAllocator(ipRange);
    this.ports = new NodePortAllocator(portRange);
    this.claims = storage ? new AllocationClaims(storage) : undefined;
  }

  private hold(kind: 'ip', v: string): void;
  private hold(kind: 'port', v: number): void;
  private hold(kind: ClaimKind, v: string | number): void {
    const m = this.held[kind] as Map<string | number, number>;
    m.set(v, (m.get(v) ?? 0) + 1);
  }

  private unhold(kind: ClaimKind, v: string | number): void {
    const m = this.held[kind] as Map<string | number, number>;
    const n = (m.get(v) ?? 0) - 1;
    if (n > 0) m.set(v, n);
    else m.delete(v);
  }

  /** Marks a value as taken elsewhere (or free again) in this process's allocators. */
  private note(kind: ClaimKind, value: string, claimed: boolean): void {
    if (kind === 'ip') {
      if (claimed) this.ips.claim(value);
      else if (!this.held.ip.has(value)) this.ips.release(value);
    } else {
      const port = Number(value);
      if (claimed) this.ports.claim(port);
      else if (!this.held.port.has(port)) this.ports.release(port);
    }
  }

  /**
   * With a storage: follows every apiserver's claims, creates the claims of Services that lack them,
   * and repairs periodically. listServices reads the stored Services.
   */
  async startClaims(listServices: () => Promise<StoredObject[]>): Promise<void> {
    if (!this.claims) return;
    await this.claims.follow(
      (claimed) => {
        // Rebuilt from the store: claims, this process's open writes, and nothing else.
        this.ips = new ClusterIPAllocator(this.ipRange);
        this.ports = new NodePortAllocator(this.portRange);
        for (const ip of [...claimed.ip, ...this.held.ip.keys()]) this.ips.claim(ip);
        for (const p of [...claimed.port.map(Number), ...this.held.port.keys()]) this.ports.claim(p);
      },
      (kind, value, claimed) => this.note(kind, value, claimed),
    );
    await this.repair(listServices);
    this.repairTimer = setInterval(() => void this.repair(listServices).catch((err: Error) => warn(`repair: ${err.message}`)), REPAIR_INTERVAL_MS);
    this.repairTimer.unref();
  }

  /**
   * One repair pass: claims for Services' values that have none; claims no Service uses dropped when
   * the previous pass found them unused too.
   */
  async repair(listServices: () => Promise<StoredObject[]>): Promise<void> {
    const claims = this.claims;
    if (!claims) return;
    await claims.storage.waitForLatest();
    // Claims first, Services second: a claim made before the list is read has its Service in it.
    const claimed = { ip: await claims.values('ip'), port: await claims.values('port') };
    const used = { ip: new Map<string, ClaimOwner>(), port: new Map<string, ClaimOwner>() };
    for (const svc of await listServices()) {
      const u = usesOf(svc.obj);
      for (const ip of u.ips) if (this.ips.inRange(ip)) used.ip.set(ip, ownerOf(svc.obj));
      for (const p of u.ports) if (this.ports.inRange(p)) used.port.set(String(p), ownerOf(svc.obj));
    }
    const suspects = new Set<string>();
    for (const kind of ['ip', 'port'] as const) {
      const have = new Set(claimed[kind].map((c) => c.value));
      for (const [value, owner] of used[kind]) {
        if (have.has(value)) continue;
        if (!(await claims.claim(kind, value, owner))) warn(`${kind === 'ip' ? 'ClusterIP' : 'NodePort'} ${value} of Service ${owner.namespace}/${owner.name} is claimed by another Service`);
        else this.note(kind, value, true);
      }
      const held = this.held[kind] as Map<string | number, number>;
      for (const c of claimed[kind]) {
        if (used[kind].has(c.value) || held.has(kind === 'ip' ? c.value : Number(c.value))) continue;
        const id = `${kind}/${c.value}@${c.rev}`;
        if (this.suspects.has(id)) await claims.drop(kind, c.value, c.rev);
        else suspects.add(id);
      }
    }
    this.suspects = suspects;
  }

  stop(): void {
    if (this.repairTimer) clearInterval(this.repairTimer);
    this.repairTimer = undefined;
    this.claims?.stop();
  }

  /** Releases a Service's claims in the store, in the background (a failure leaves it to the repair). */
  private releaseClaims(kind: ClaimKind, values: Array<string | number>, owner: ClaimOwner): void {
    const claims = this.claims;
    if (!claims) return;
    for (const v of values) void claims.release(kind, String(v), owner).catch((err: Error) => warn(`releasing ${kind} ${String(v)}: ${err.message}`));
  }

  /** For resources other than Services: nothing is allocated. */
  readonly noAllocation: Allocator = {
    clusterIP: () => {
      throw new Error('ClusterIP allocation outside a Service write');
    },
    nodePort: () => {
      throw new Error('NodePort allocation outside a Service write');
    },
  };

  claimExisting(obj: KObj): void {
    const u = usesOf(obj);
    for (const ip of u.ips) this.ips.claim(ip);
    for (const p of u.ports) this.ports.claim(p);
  }

  release(obj: KObj | undefined): void {
    if (!obj) return;
    const u = usesOf(obj);
    for (const ip of u.ips) this.ips.release(ip);
    for (const p of u.ports) this.ports.release(p);
    this.releaseClaims('ip', u.ips, ownerOf(obj));
    this.releaseClaims('port', u.ports, ownerOf(obj));
  }

  begin(old: KObj | undefined): WriteAllocation {
    const oldUses = usesOf(old);
    const fresh: Uses = { ips: [], ports: [] };
    const claimed: Uses = { ips: [], ports: [] };
    /** Values claimed in the store by this write (released again if it rolls back). */
    const reserved: Uses = { ips: [], ports: [] };
    let newUses: Uses = { ips: [], ports: [] };
    let owner: ClaimOwner | undefined;
    const done = () => {
      for (const ip of [...fresh.ips, ...claimed.ips]) this.unhold('ip', ip);
      for (const p of [...fresh.ports, ...claimed.ports]) this.unhold('port', p);
    };
    const tx: WriteAllocation = {
      causes: [],
      clusterIP: () => {
        const ip = this.ips.next();
        fresh.ips.push(ip);
        this.hold('ip', ip);
        return ip;
      },
      nodePort: () => {
        const p = this.ports.next();
        fresh.ports.push(p);
        this.hold('port', p);
        return p;
      },
      keepAllocations: (next) => preserveServiceAllocations(next, old ?? {}),
      finish: (obj) => {
        if (!isPlainObject(obj.spec)) return;
        const spec = obj.spec;
        const type = typeof spec.type === 'string' ? spec.type : 'ClusterIP';
        if (type !== 'ExternalName') {
          if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = tx.clusterIP();
          if (!Array.isArray(spec.clusterIPs) || spec.clusterIPs.length === 0) spec.clusterIPs = [spec.clusterIP];
        }
        if (NEEDS_NODE_PORTS.has(type) && !(type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === false)) {
          for (const p of portsOf(spec)) if (p.nodePort === undefined || p.nodePort === 0) p.nodePort = tx.nodePort();
        }
        if (needsHealthCheckNodePort(spec) && (spec.healthCheckNodePort === undefined || spec.healthCheckNodePort === 0)) spec.healthCheckNodePort = tx.nodePort();
        newUses = usesOf(obj);
        // Values the object names itself (not handed out above, not already its own) must be free.
        newUses.ips.forEach((ip, i) => {
          if (fresh.ips.includes(ip) || oldUses.ips.includes(ip)) return;
          // The range's first address is kept out of the allocator for the default/kubernetes Service.
          if (ip === this.ips.firstIP && obj.metadata.namespace === 'default' && obj.metadata.name === 'kubernetes') return;
          if (!this.ips.inRange(ip)) {
            tx.causes.push({ reason: 'FieldValueInvalid', field: `spec.clusterIPs[${i}]`, message: `Invalid value: "${ip}": provided IP is not in the valid range` });
          } else if (!this.ips.claim(ip)) {
            tx.causes.push({ reason: 'FieldValueInvalid', field: `spec.clusterIPs[${i}]`, message: `Invalid value: "${ip}": provided IP is already allocated` });
          } else {
            claimed.ips.push(ip);
            this.hold('ip', ip);
          }
        });
        const named: [unknown, string][] = [...portsOf(spec).map((p, i): [unknown, string] => [p.nodePort, `spec.ports[${i}].nodePort`]), [spec.healthCheckNodePort, 'spec.healthCheckNodePort']];
        named.forEach(([n, field]) => {
          if (typeof n !== 'number' || !n || fresh.ports.includes(n) || oldUses.ports.includes(n)) return;
          if (!this.ports.inRange(n)) {
            tx.causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${n}: provided port is not in the valid range. The range of valid ports is ${this.ports.min}-${this.ports.max}` });
          } else if (!this.ports.claim(n)) {
            tx.causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${n}: provided port is already allocated` });
          } else {
            claimed.ports.push(n);
            this.hold('port', n);
          }
        });
      },
      reserve: async (obj) => {
        const claims = this.claims;
        const causes: StatusCause[] = [];
        if (!claims) return causes;
        owner = ownerOf(obj);
        const o = owner;
        // Values handed out here: when another apiserver's write holds one, it stays taken here and
        // the Service gets another.
        for (const [kind, list] of [['ip', fresh.ips], ['port', fresh.ports]] as const) {
          for (let i = 0; i < list.length; i++) {
            for (;;) {
              const value = list[i];
              if (await claims.claim(kind, String(value), o)) break;
              const next = kind === 'ip' ? this.ips.next() : this.ports.next();
              this.unhold(kind, value);
              (list as Array<string | number>)[i] = next;
              if (kind === 'ip') this.hold('ip', next as string);
              else this.hold('port', next as number);
              replaceValue(obj, kind, value, next);
            }
            (kind === 'ip' ? reserved.ips : reserved.ports).push(list[i] as never);
          }
        }
        // Values the Service names itself: taken by another write means invalid, as locally.
        const spec = specOf(obj);
        for (const ip of [...claimed.ips]) {
          if (await claims.claim('ip', ip, o)) reserved.ips.push(ip);
          else {
            claimed.ips.splice(claimed.ips.indexOf(ip), 1);
            this.unhold('ip', ip);
            const i = Array.isArray(spec.clusterIPs) ? spec.clusterIPs.indexOf(ip) : 0;
            causes.push({ reason: 'FieldValueInvalid', field: `spec.clusterIPs[${Math.max(0, i)}]`, message: `Invalid value: "${ip}": provided IP is already allocated` });
          }
        }
        for (const port of [...claimed.ports]) {
          if (await claims.claim('port', String(port), o)) reserved.ports.push(port);
          else {
            claimed.ports.splice(claimed.ports.indexOf(port), 1);
            this.unhold('port', port);
            causes.push({ reason: 'FieldValueInvalid', field: nodePortField(spec, port), message: `Invalid value: ${port}: provided port is already allocated` });
          }
        }
        newUses = usesOf(obj);
        return causes;
      },
      commit: () => {
        const droppedIps = oldUses.ips.filter((ip) => !newUses.ips.includes(ip));
        const droppedPorts = oldUses.ports.filter((p) => !newUses.ports.includes(p));
        for (const ip of droppedIps) this.ips.release(ip);
        for (const p of droppedPorts) this.ports.release(p);
        if (old) {
          this.releaseClaims('ip', droppedIps, ownerOf(old));
          this.releaseClaims('port', droppedPorts, ownerOf(old));
        }
        done();
      },
      rollback: () => {
        for (const ip of [...fresh.ips, ...claimed.ips]) this.ips.release(ip);
        for (const p of [...fresh.ports, ...claimed.ports]) this.ports.release(p);
        if (owner) {
          this.releaseClaims('ip', reserved.ips, owner);
          this.releaseClaims('port', reserved.ports, owner);
        }
        done();
      },
    };
    return tx;
  }
}

function warn(msg: string): void {
  process.stderr.write(`apiserver: service allocations: ${msg}\n`);
}
