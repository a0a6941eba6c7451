// The service load balancer's pure core (k3s' ServiceLB, "klipper-lb"): a LoadBalancer Service is
// exposed on the nodes' own addresses at its ports, so its status gets those addresses as ingress and
// `kubectl get svc` shows an EXTERNAL-IP instead of <pending> forever. The node agents' service proxies
// then send traffic for <node address>:<port> to the Service (proxy-rules.ts, as for any LB ingress IP).
// As on k3s, a port (and protocol) belongs to the oldest LoadBalancer Service that asks for it: a later
// one asking for it stays pending, with a warning saying who holds it. Services naming a
// loadBalancerClass belong to that class's controller and are left alone. Pure: table-tested.
import type { LoadBalancerIngress, Node, Service } from 'kubernetes-types/core/v1';
import { isNodeReady } from '../../lib/api/node';
import { objectKey } from '../../lib/client/informer';

export interface LoadBalancerPlan {
  /** The ingress the Service's status should show ([] for pending or not a LoadBalancer). */
  ingress: LoadBalancerIngress[];
  /** Why it stays pending, when a port is taken. */
  conflict?: string;
}

/** Whether this controller serves the Service: type LoadBalancer with no loadBalancerClass of its own. */
export function servedHere(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && !svc.spec.loadBalancerClass;
}

/** The addresses a LoadBalancer Service is exposed on: every Ready node's ExternalIP, else its InternalIP. */
export function nodeAddresses(nodes: Node[]): string[] {
  const out = new Set<string>();
  for (const node of nodes) {
    if (!isNodeReady(node) || node.metadata?.deletionTimestamp) continue;
    const addrs = node.status?.addresses ?? [];
    const pick = addrs.find((a) => a.type === 'ExternalIP') ?? addrs.find((a) => a.type === 'InternalIP');
    if (pick?.address) out.add(pick.address);
  }
  return [...out].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

function created(svc: Service): string {
  return svc.metadata?.creationTimestamp ?? '';
}

/**
 * The ingress every Service should show, by key. Oldest LoadBalancer Services first (then by key)
 * take their ports; non-LoadBalancer Services get [] (a Service whose type changed loses its
 * ingress, as kube's service controller clears it). Services of another loadBalancerClass: absent.
 */
export function planLoadBalancers(services: Service[], nodes: Node[]): Map<string, LoadBalancerPlan> {
  const plans = new Map<string, LoadBalancerPlan>();
  const addresses = nodeAddresses(nodes);
  const taken = new Map<string, string>();
  const ordered = [...services].sort((a, b) => created(a).localeCompare(created(b)) || objectKey(a).localeCompare(objectKey(b)));
  for (const svc of ordered) {
    const key = objectKey(svc);
    if (svc.spec?.type !== 'LoadBalancer') {
      plans.set(key, { ingress: [] });
      continue;
    }
    if (!servedHere(svc)) continue;
    const ports = (svc.spec.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`);
    const holder = ports.map((p) => [p, taken.get(p)] as const).find(([, h]) => h !== undefined);
    if (holder) {
      plans.set(key, { ingress: [], conflict: `port ${holder[0]} is used by LoadBalancer Service ${holder[1]} on every node` });
      continue;
    }
    for (const p of ports) taken.set(p, key);
    plans.set(key, { ingress: addresses.map((ip) => ({ ip, ipMode: 'VIP' })) });
  }
  return plans;
}

/** Whether the Service's status already shows this ingress (order included). */
export function ingressMatches(svc: Service, ingress: LoadBalancerIngress[]): boolean {
  const have = svc.status?.loadBalancer?.ingress ?? [];
  return have.length === ingress.length && have.every((h, i) => h.ip === ingress[i].ip && !h.hostname && (h.ipMode ?? 'VIP') === (ingress[i].ipMode ?? 'VIP') && !h.ports?.length);
}
