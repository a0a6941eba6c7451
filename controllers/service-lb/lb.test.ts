import type { Node, Service } from 'kubernetes-types/core/v1';
import { ingressMatches, nodeAddresses, planLoadBalancers, servedHere } from './lb';

function node(name: string, ready: boolean, addresses: [string, string][]): Node {
  return {
    metadata: { name },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], addresses: addresses.map(([type, address]) => ({ type, address })) },
  };
}

function lb(name: string, created: string, ports: [number, string?][], extra: Partial<NonNullable<Service['spec']>> = {}): Service {
  return {
    metadata: { name, namespace: 'default', creationTimestamp: created },
    spec: { type: 'LoadBalancer', ports: ports.map(([port, protocol]) => ({ port, protocol })), ...extra },
  };
}

const nodes = [node('b', true, [['InternalIP', '192.168.1.12']]), node('a', true, [['InternalIP', '192.168.1.11'], ['ExternalIP', '203.0.113.1']]), node('c', false, [['InternalIP', '192.168.1.13']])];

describe('service load balancer core', () => {
  it('exposes LoadBalancer Services on the Ready nodes: ExternalIP first, else InternalIP, sorted', () => {
    expect(nodeAddresses(nodes)).toEqual(['192.168.1.12', '203.0.113.1']);
    const plans = planLoadBalancers([lb('web', '2026-01-01T00:00:00Z', [[80]])], nodes);
    expect(plans.get('default/web')).toEqual({ ingress: [{ ip: '192.168.1.12', ipMode: 'VIP' }, { ip: '203.0.113.1', ipMode: 'VIP' }] });
  });

  it('a port belongs to the oldest Service asking for it; a later one stays pending with the reason', () => {
    const older = lb('older', '2026-01-01T00:00:00Z', [[80], [443]]);
    const newer = lb('newer', '2026-02-01T00:00:00Z', [[8080], [443]]);
    const udp = lb('dns', '2026-03-01T00:00:00Z', [[443, 'UDP']]);
    const plans = planLoadBalancers([newer, udp, older], nodes);
    expect(plans.get('default/older')?.ingress).toHaveLength(2);
    expect(plans.get('default/newer')).toEqual({ ingress: [], conflict: 'port 443/TCP is used by LoadBalancer Service default/older on every node' });
    // Another protocol on the same number is another port.
    expect(plans.get('default/dns')?.ingress).toHaveLength(2);
  });

  it('other types are planned empty (a type change clears the ingress); other classes are left alone', () => {
    const cluster: Service = { metadata: { name: 'c', namespace: 'default' }, spec: { type: 'ClusterIP' }, status: { loadBalancer: { ingress: [{ ip: '192.168.1.12' }] } } };
    const classed = lb('metallb', '2026-01-01T00:00:00Z', [[80]], { loadBalancerClass: 'metallb.io/metallb' });
    const plans = planLoadBalancers([cluster, classed], nodes);
    expect(plans.get('default/c')).toEqual({ ingress: [] });
    expect(plans.has('default/metallb')).toBe(false);
    expect(servedHere(classed)).toBe(false);
    // A class-less service does not lose the port to a classed one.
    expect(planLoadBalancers([classed, lb('web', '2026-05-01T00:00:00Z', [[80]])], nodes).get('default/web')?.ingress).toHaveLength(2);
  });

  it('no Ready node: pending; ingressMatches compares what the status shows', () => {
    expect(planLoadBalancers([lb('web', '', [[80]])], [nodes[2]]).get('default/web')).toEqual({ ingress: [] });
    expect(ingressMatches(lb('web', '', [[80]]), [])).toBe(true);
    const svc: Service = { ...lb('web', '', [[80]]), status: { loadBalancer: { ingress: [{ ip: '192.168.1.12', ipMode: 'VIP' }] } } };
    expect(ingressMatches(svc, [{ ip: '192.168.1.12', ipMode: 'VIP' }])).toBe(true);
    expect(ingressMatches(svc, [{ ip: '192.168.1.12', ipMode: 'VIP' }, { ip: '203.0.113.1', ipMode: 'VIP' }])).toBe(false);
    expect(ingressMatches(svc, [])).toBe(false);
  });
});
