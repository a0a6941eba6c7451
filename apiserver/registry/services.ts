// ClusterIP and NodePort bookkeeping for Service writes: each write is a small transaction that
// claims the addresses/ports the new object uses, and either commits (releasing those the old object
// no longer uses) or rolls back.
import { ClusterIPAllocator, NodePortAllocator } from '../allocators';
import type { Allocator } from '../defaults';
import { preserveServiceAllocations } from '../defaults/core';
import type { WriteAllocation } from '../kinds/strategy';
import type { KObj } from '../storage/types';
import { isPlainObject, Json } from './objects';

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
  const ports = portsOf(spec)
    .map((p) => p.nodePort)
    .filter((p): p is number => typeof p === 'number' && Number.isInteger(p) && p > 0);
  return { ips: [...ips], ports };
}

const NEEDS_NODE_PORTS = new Set(['NodePort', 'LoadBalancer']);

export class ServiceAllocations {
  private readonly ips: ClusterIPAllocator;
  private readonly ports: NodePortAllocator;

  constructor(ipRange: string, portRange: string) {
    this.ips = new ClusterIPAllocator(ipRange);
    this.ports = new NodePortAllocator(portRange);
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
  }

  begin(old: KObj | undefined): WriteAllocation {
    const oldUses = usesOf(old);
    const fresh: Uses = { ips: [], ports: [] };
    const claimed: Uses = { ips: [], ports: [] };
    let newUses: Uses = { ips: [], ports: [] };
    const tx: WriteAllocation = {
      causes: [],
      clusterIP: () => {
        const ip = this.ips.next();
        fresh.ips.push(ip);
        return ip;
      },
      nodePort: () => {
        const p = this.ports.next();
        fresh.ports.push(p);
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
        if (NEEDS_NODE_PORTS.has(type)) {
          for (const p of portsOf(spec)) if (p.nodePort === undefined || p.nodePort === 0) p.nodePort = tx.nodePort();
        }
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
          } else claimed.ips.push(ip);
        });
        portsOf(spec).forEach((p, i) => {
          const n = p.nodePort;
          if (typeof n !== 'number' || !n || fresh.ports.includes(n) || oldUses.ports.includes(n)) return;
          if (!this.ports.inRange(n)) {
            tx.causes.push({ reason: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, message: `Invalid value: ${n}: provided port is not in the valid range. The range of valid ports is ${this.ports.min}-${this.ports.max}` });
          } else if (!this.ports.claim(n)) {
            tx.causes.push({ reason: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, message: `Invalid value: ${n}: provided port is already allocated` });
          } else claimed.ports.push(n);
        });
      },
      commit: () => {
        for (const ip of oldUses.ips) if (!newUses.ips.includes(ip)) this.ips.release(ip);
        for (const p of oldUses.ports) if (!newUses.ports.includes(p)) this.ports.release(p);
      },
      rollback: () => {
        for (const ip of [...fresh.ips, ...claimed.ips]) this.ips.release(ip);
        for (const p of [...fresh.ports, ...claimed.ports]) this.ports.release(p);
      },
    };
    return tx;
  }
}
