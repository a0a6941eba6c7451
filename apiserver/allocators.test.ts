import { ClusterIPAllocator, NodePortAllocator, parseServiceCIDR } from './allocators';
import { numberToIpv4 } from '../lib/api/ip';
import { ServiceAllocations } from './registry/services';

test('parseServiceCIDR and numberToIpv4', () => {
  const r = parseServiceCIDR('10.96.0.0/12');
  expect(numberToIpv4(r.base)).toBe('10.96.0.0');
  expect(r.size).toBe(2 ** 20);
  expect(() => parseServiceCIDR('10.96.0.0')).toThrow();
  expect(() => parseServiceCIDR('300.1.1.1/24')).toThrow();
});

test('ClusterIPs are unique, skip the network and first host, and run out cleanly', () => {
  const a = new ClusterIPAllocator('10.0.0.0/29'); // 8 addresses: .2 - .6 usable
  const got = Array.from({ length: 5 }, () => a.next());
  expect(got).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
  expect(() => a.next()).toThrow(/full/);
  a.release('10.0.0.4');
  expect(a.next()).toBe('10.0.0.4');
  expect(a.claim('10.0.0.5')).toBe(false);
  expect(a.inRange('10.0.1.1')).toBe(false);
});

test('NodePorts honour the range and claims', () => {
  const p = new NodePortAllocator('30000-30002');
  expect(p.claim(30001)).toBe(true);
  expect([p.next(), p.next()].sort()).toEqual([30000, 30002]);
  expect(() => p.next()).toThrow();
  expect(p.inRange(80)).toBe(false);
});

test('a Service write claims what it names, rolls back on failure, releases what it drops', () => {
  const s = new ServiceAllocations('10.0.0.0/24', '30000-30010');
  const svc = (spec: Record<string, unknown>) => ({ metadata: { name: 'x' }, spec });
  const tx = s.begin(undefined);
  const a = svc({ type: 'NodePort', ports: [{ port: 80 }] });
  tx.finish(a);
  expect(tx.causes).toEqual([]);
  tx.commit();
  const ip = (a.spec as { clusterIP: string }).clusterIP;
  // Another service naming the same IP is refused.
  const tx2 = s.begin(undefined);
  tx2.finish(svc({ clusterIP: ip, ports: [{ port: 80 }] }));
  expect(tx2.causes.map((c) => c.message)).toEqual([`Invalid value: "${ip}": provided IP is already allocated`]);
  tx2.rollback();
  // A rolled-back allocation is free again.
  const tx3 = s.begin(undefined);
  const b = svc({ ports: [{ port: 80 }] });
  tx3.finish(b);
  const ipB = (b.spec as { clusterIP: string }).clusterIP;
  tx3.rollback();
  const tx4 = s.begin(undefined);
  tx4.finish(svc({ clusterIP: ipB, ports: [{ port: 80 }] }));
  expect(tx4.causes).toEqual([]);
  tx4.commit();
  // Dropping the NodePort type on update releases the port.
  const port = ((a.spec as { ports: Array<{ nodePort: number }> }).ports[0]).nodePort;
  const up = s.begin(a);
  up.finish(svc({ type: 'ClusterIP', clusterIP: ip, ports: [{ port: 80 }] }));
  up.commit();
  const tx5 = s.begin(undefined);
  tx5.finish(svc({ type: 'NodePort', ports: [{ port: 80, nodePort: port }] }));
  expect(tx5.causes).toEqual([]);
});
