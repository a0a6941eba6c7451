// The pure core of cross-node pod routes: desired routes from the Node list, compared with the routes
// we own, give add / replace / delete actions. No I/O; the real loop is tested in network namespaces
// (test/e2e/pod-routes.test.ts).
import type { Node } from 'kubernetes-types/core/v1';
import { parseIpRouteJson, planPodRoutes, PodRoute, podSourceRules, RouteAction } from './pod-routes';
import { canonicalIPv4Cidr, cidrsOverlap } from '../../lib/api/ip';

function node(name: string, podCIDR?: string | string[], ip?: string, extra: Partial<Node> = {}): Node {
  const cidrs = podCIDR === undefined ? undefined : Array.isArray(podCIDR) ? podCIDR : [podCIDR];
  return {
    metadata: { name, ...(extra.metadata || {}) },
    spec: cidrs ? { podCIDR: cidrs[0], podCIDRs: cidrs } : {},
    status: { addresses: ip ? [{ type: 'Hostname', address: name }, { type: 'InternalIP', address: ip }] : [] },
  };
}

const r = (dst: string, via: string): PodRoute => ({ dst, via });
const ops = (actions: RouteAction[]) => actions.map((a) => `${a.op} ${a.route.dst} via ${a.route.via}`).sort();

describe('canonicalIPv4Cidr', () => {
  test.each([
    ['10.88.1.0/24', '10.88.1.0/24'],
    ['10.88.1.7/24', '10.88.1.0/24'],
    [' 10.88.1.0/24 ', '10.88.1.0/24'],
    ['10.1.2.3', '10.1.2.3/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['255.255.255.255/32', '255.255.255.255/32'],
    ['10.88.1.0/33', undefined],
    ['10.88.1.256/24', undefined],
    ['10.88.1/24', undefined],
    ['fd00::/64', undefined],
    ['10.88.1.0/24/1', undefined],
    ['10.88.1.0/x', undefined],
    ['', undefined],
  ])('%j → %j', (input, want) => {
    expect(canonicalIPv4Cidr(input)).toBe(want);
  });

  test('overlap', () => {
    expect(cidrsOverlap('10.88.0.0/16', '10.88.2.0/24')).toBe(true);
    expect(cidrsOverlap('10.88.1.0/24', '10.88.2.0/24')).toBe(false);
    expect(cidrsOverlap('0.0.0.0/0', '192.168.0.0/24')).toBe(true);
  });
});

describe('planPodRoutes', () => {
  const three = [node('node-1', '10.88.1.0/24', '172.28.0.21'), node('node-2', '10.88.2.0/24', '172.28.0.22'), node('node-3', '10.88.3.0/24', '172.28.0.23')];

  test.each<[string, Node[], string, PodRoute[], string[]]>([
    ['fresh host: a route per other node', three, 'node-1', [], ['add 10.88.2.0/24 via 172.28.0.22', 'add 10.88.3.0/24 via 172.28.0.23']],
    ['in sync: nothing to do', three, 'node-1', [r('10.88.2.0/24', '172.28.0.22'), r('10.88.3.0/24', '172.28.0.23')], []],
    ['a node moved to another address: replace', three, 'node-1', [r('10.88.2.0/24', '172.28.0.99'), r('10.88.3.0/24', '172.28.0.23')], ['replace 10.88.2.0/24 via 172.28.0.22']],
    ['a node is gone: delete its route', three.slice(0, 2), 'node-1', [r('10.88.2.0/24', '172.28.0.22'), r('10.88.3.0/24', '172.28.0.23')], ['delete 10.88.3.0/24 via 172.28.0.23']],
    ['a node got another CIDR: delete the old, add the new', [three[0], node('node-2', '10.88.12.0/24', '172.28.0.22')], 'node-1', [r('10.88.2.0/24', '172.28.0.22')], ['add 10.88.12.0/24 via 172.28.0.22', 'delete 10.88.2.0/24 via 172.28.0.22']],
    ['never a route to our own CIDR, even if one was left', three, 'node-2', [r('10.88.2.0/24', '172.28.0.21')], ['add 10.88.1.0/24 via 172.28.0.21', 'add 10.88.3.0/24 via 172.28.0.23', 'delete 10.88.2.0/24 via 172.28.0.21']],
    ['a node without podCIDR or address gets no route', [three[0], node('node-2', undefined, '172.28.0.22'), node('node-3', '10.88.3.0/24')], 'node-1', [], []],
    ['a single address route from `ip -j` compares as /32', [three[0], node('node-2', '10.99.0.5/32', '172.28.0.22')], 'node-1', [r('10.99.0.5', '172.28.0.22')], []],
    ['host bits in podCIDR are masked', [three[0], node('node-2', '10.88.2.9/24', '172.28.0.22')], 'node-1', [], ['add 10.88.2.0/24 via 172.28.0.22']],
    ['an invalid podCIDR is skipped', [three[0], node('node-2', 'nonsense', '172.28.0.22')], 'node-1', [], []],
    ['IPv6 CIDRs and addresses are ignored (IPv4 routes only)', [three[0], node('node-2', ['fd00:2::/64', '10.88.2.0/24'], '172.28.0.22')], 'node-1', [], ['add 10.88.2.0/24 via 172.28.0.22']],
    ['two CIDRs of one node: two routes', [three[0], node('node-2', ['10.88.2.0/24', '10.89.2.0/24'], '172.28.0.22')], 'node-1', [], ['add 10.88.2.0/24 via 172.28.0.22', 'add 10.89.2.0/24 via 172.28.0.22']],
    ['a CIDR overlapping our own is not routed', [three[0], node('node-2', '10.88.0.0/16', '172.28.0.22')], 'node-1', [], []],
    ['two nodes claiming one CIDR: the first by name wins', [three[0], node('node-b', '10.88.2.0/24', '172.28.0.32'), node('node-a', '10.88.2.0/24', '172.28.0.31')], 'node-1', [], ['add 10.88.2.0/24 via 172.28.0.31']],
    ['duplicate observed routes: one is deleted', three.slice(0, 2), 'node-1', [r('10.88.2.0/24', '172.28.0.22'), r('10.88.2.0/24', '172.28.0.22')], ['delete 10.88.2.0/24 via 172.28.0.22']],
    ['a node being deleted loses its route', [three[0], node('node-2', '10.88.2.0/24', '172.28.0.22', { metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' } })], 'node-1', [r('10.88.2.0/24', '172.28.0.22')], ['delete 10.88.2.0/24 via 172.28.0.22']],
    ['this node not registered yet: routes to the others anyway', three.slice(1), 'node-1', [], ['add 10.88.2.0/24 via 172.28.0.22', 'add 10.88.3.0/24 via 172.28.0.23']],
  ])('%s', (_name, nodes, self, observed, want) => {
    expect(ops(planPodRoutes(nodes, self, observed).actions)).toEqual([...want].sort());
  });

  test('skipped nodes say why', () => {
    const plan = planPodRoutes(
      [node('node-1', '10.88.1.0/24', '172.28.0.21'), node('node-2', undefined, '172.28.0.22'), node('node-3', '10.88.3.0/24'), node('node-4', '10.88.1.0/25', '172.28.0.24'), node('node-5', 'x', '172.28.0.25')],
      'node-1',
      [],
    );
    expect(plan.skipped).toEqual([
      { node: 'node-2', reason: 'no IPv4 spec.podCIDR' },
      { node: 'node-3', reason: 'no IPv4 InternalIP' },
      { node: 'node-4', reason: "podCIDR 10.88.1.0/25 overlaps this node's 10.88.1.0/24" },
      { node: 'node-5', reason: 'invalid podCIDR "x"' },
    ]);
  });

  test('replace names the old gateway and the node', () => {
    const [a] = planPodRoutes([node('node-1', '10.88.1.0/24', '10.0.0.1'), node('node-2', '10.88.2.0/24', '10.0.0.2')], 'node-1', [r('10.88.2.0/24', '10.0.0.9')]).actions;
    expect(a).toEqual({ op: 'replace', route: r('10.88.2.0/24', '10.0.0.2'), node: 'node-2', was: '10.0.0.9' });
  });
});

describe('podSourceRules', () => {
  it("keeps this node's pod addresses towards every routed node's pods, and only those", () => {
    const nodes = [node('a', '10.88.1.0/24', '192.0.2.1'), node('b', '10.88.2.0/24', '192.0.2.2'), node('c', undefined, '192.0.2.3'), node('d', '10.88.1.0/25', '192.0.2.4')];
    expect(podSourceRules(nodes, 'a')).toEqual(['-A STEER-POD-ROUTES -s 10.88.1.0/24 -d 10.88.2.0/24 -m comment --comment "to the pods of b" -j ACCEPT']);
    // A node without a pod CIDR of its own keeps nothing.
    expect(podSourceRules(nodes, 'c')).toEqual([]);
  });
});

describe('parseIpRouteJson', () => {
  test('reads dst and gateway; host routes become /32; routes without gateway are not ours', () => {
    const text = JSON.stringify([
      { dst: '10.88.2.0/24', gateway: '172.28.0.22', dev: 'eth0', protocol: '198', flags: [] },
      { dst: '10.99.0.5', gateway: '172.28.0.23', dev: 'eth0', flags: [] },
      { dst: '172.28.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '172.28.0.21', flags: [] },
    ]);
    expect(parseIpRouteJson(text)).toEqual([r('10.88.2.0/24', '172.28.0.22'), r('10.99.0.5/32', '172.28.0.23')]);
  });

  test('empty output is no routes', () => {
    expect(parseIpRouteJson('')).toEqual([]);
    expect(parseIpRouteJson('[]\n')).toEqual([]);
    expect(parseIpRouteJson('[ ]')).toEqual([]);
  });
});
