// The cluster zone's answers from ClusterRecords, table by table as the Kubernetes DNS specification
// lists them: ClusterIP, headless (ready endpoints, publishNotReadyAddresses, hostnames), SRV, CNAME,
// pod names, PTR, NXDOMAIN vs NODATA, and the record index following updates and deletes.
import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import { answerReverse, answerZone, inZone, reverseIP, ZoneOptions } from './answer';
import { ClusterRecords } from './records';

const zone = 'cluster.local';
const o: ZoneOptions = { zone, ttl: 5, nameserverIPs: ['10.96.0.10'] };

function svc(name: string, spec: Service['spec'], namespace = 'default'): Service {
  return { metadata: { name, namespace }, spec };
}

function eps(name: string, subsets: Endpoints['subsets'], namespace = 'default'): Endpoints {
  return { metadata: { name, namespace }, subsets };
}

function recordsWith(): ClusterRecords {
  const r = new ClusterRecords(zone);
  r.upsertService(svc('nginx', { clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { port: 8443 }] }));
  r.upsertEndpoints(eps('nginx', [{ addresses: [{ ip: '10.88.0.5' }], ports: [{ name: 'http', port: 8080 }, { port: 8443 }] }]));
  r.upsertService(svc('db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }));
  r.upsertEndpoints(
    eps('db', [
      {
        addresses: [{ ip: '10.88.0.7', hostname: 'db-0' }, { ip: '10.88.0.8' }],
        notReadyAddresses: [{ ip: '10.88.0.9', hostname: 'db-2' }],
        ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      },
    ]),
  );
  r.upsertService(svc('ext', { type: 'ExternalName', externalName: 'Example.COM.' }));
  r.upsertService(svc('empty', { clusterIP: 'None' }));
  r.upsertService(svc('kube-dns', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }, 'kube-system'));
  return r;
}

const ask = (r: ClusterRecords, name: string, type: Parameters<typeof answerZone>[4]) => answerZone(r, o, name, name.toLowerCase().replace(/\.$/, ''), type);
const data = (a: ReturnType<typeof answerZone>) => a.answers.map((x) => (x as { data: unknown }).data);

describe('cluster zone answers', () => {
  test('ClusterIP Service: A; AAAA is NODATA (the name exists), not NXDOMAIN', () => {
    const r = recordsWith();
    expect(ask(r, 'nginx.default.svc.cluster.local', 'A')).toMatchObject({ rcode: 'NOERROR', answers: [{ name: 'nginx.default.svc.cluster.local', type: 'A', ttl: 5, data: '10.96.0.20' }] });
    expect(ask(r, 'nginx.default.svc.cluster.local', 'AAAA')).toEqual({ rcode: 'NOERROR', answers: [], additionals: [] });
    expect(ask(r, 'nginx.default.svc.cluster.local', 'MX')).toEqual({ rcode: 'NOERROR', answers: [], additionals: [] });
  });

  test('names are case-insensitive; answers carry the name as asked', () => {
    const a = ask(recordsWith(), 'NGINX.Default.SVC.cluster.LOCAL', 'A');
    expect(a.answers).toEqual([{ name: 'NGINX.Default.SVC.cluster.LOCAL', type: 'A', ttl: 5, data: '10.96.0.20' }]);
  });

  test('unknown Service, namespace or deeper name: NXDOMAIN; the zone and svc/pod parents: NODATA', () => {
    const r = recordsWith();
    for (const n of ['nope.default.svc.cluster.local', 'nginx.other.svc.cluster.local', 'a.b.nginx.default.svc.cluster.local', 'x.cluster.local', 'nginx.default.default.svc.cluster.local']) {
      expect([n, ask(r, n, 'A').rcode]).toEqual([n, 'NXDOMAIN']);
    }
    for (const n of ['cluster.local', 'svc.cluster.local', 'default.svc.cluster.local', 'pod.cluster.local']) {
      expect([n, ask(r, n, 'A')]).toEqual([n, { rcode: 'NOERROR', answers: [], additionals: [] }]);
    }
    expect(ask(r, 'nosuchns.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
  });

  test('headless: one A per ready endpoint, hostnames, NXDOMAIN without endpoints', () => {
    const r = recordsWith();
    expect(data(ask(r, 'db.default.svc.cluster.local', 'A')).sort()).toEqual(['10.88.0.7', '10.88.0.8']);
    expect(data(ask(r, 'db-0.db.default.svc.cluster.local', 'A'))).toEqual(['10.88.0.7']);
    // An endpoint without hostname is named after its dashed IP.
    expect(data(ask(r, '10-88-0-8.db.default.svc.cluster.local', 'A'))).toEqual(['10.88.0.8']);
    // Not ready and not published: no name.
    expect(ask(r, 'db-2.db.default.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
    expect(ask(r, 'empty.default.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
    // Endpoint names exist for headless Services only.
    expect(ask(r, '10-88-0-5.nginx.default.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
  });

  test('publishNotReadyAddresses publishes not-ready endpoints', () => {
    const r = recordsWith();
    r.upsertService(svc('db', { clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ name: 'pg', port: 5432 }] }));
    expect(data(ask(r, 'db.default.svc.cluster.local', 'A')).sort()).toEqual(['10.88.0.7', '10.88.0.8', '10.88.0.9']);
    expect(data(ask(r, 'db-2.db.default.svc.cluster.local', 'A'))).toEqual(['10.88.0.9']);
  });

  test('SRV: a named port of a ClusterIP Service, one per endpoint of a headless one; unnamed ports none', () => {
    const r = recordsWith();
    const a = ask(r, '_http._tcp.nginx.default.svc.cluster.local', 'SRV');
    expect(a.answers).toEqual([{ name: '_http._tcp.nginx.default.svc.cluster.local', type: 'SRV', ttl: 5, data: { priority: 0, weight: 100, port: 80, target: 'nginx.default.svc.cluster.local' } }]);
    expect(a.additionals).toEqual([{ name: 'nginx.default.svc.cluster.local', type: 'A', ttl: 5, data: '10.96.0.20' }]);
    expect(ask(r, '_http._udp.nginx.default.svc.cluster.local', 'SRV').rcode).toBe('NXDOMAIN');
    expect(ask(r, '_https._tcp.nginx.default.svc.cluster.local', 'SRV').rcode).toBe('NXDOMAIN');
    // The SRV name exists: another type is NODATA.
    expect(ask(r, '_http._tcp.nginx.default.svc.cluster.local', 'A')).toEqual({ rcode: 'NOERROR', answers: [], additionals: [] });
    const h = ask(r, '_pg._tcp.db.default.svc.cluster.local', 'SRV');
    expect(h.answers.map((x) => (x as { data: { target: string; port: number } }).data).sort((x, y) => x.target.localeCompare(y.target))).toEqual([
      { priority: 0, weight: 50, port: 5432, target: '10-88-0-8.db.default.svc.cluster.local' },
      { priority: 0, weight: 50, port: 5432, target: 'db-0.db.default.svc.cluster.local' },
    ]);
    expect(h.additionals).toHaveLength(2);
    expect(data(ask(r, '_dns._udp.kube-dns.kube-system.svc.cluster.local', 'SRV'))).toEqual([{ priority: 0, weight: 100, port: 53, target: 'kube-dns.kube-system.svc.cluster.local' }]);
  });

  test('ExternalName: a CNAME to the target (lower-cased, no trailing dot), to be chased', () => {
    const a = ask(recordsWith(), 'ext.default.svc.cluster.local', 'A');
    expect(a).toEqual({ rcode: 'NOERROR', answers: [{ name: 'ext.default.svc.cluster.local', type: 'CNAME', ttl: 5, data: 'example.com' }], additionals: [], chase: 'example.com' });
    expect(ask(recordsWith(), 'ext.default.svc.cluster.local', 'CNAME').chase).toBeUndefined();
  });

  test('pod names: a-b-c-d.<ns>.pod', () => {
    const r = recordsWith();
    expect(data(ask(r, '10-88-0-5.default.pod.cluster.local', 'A'))).toEqual(['10.88.0.5']);
    expect(ask(r, '10-88-0-5.default.pod.cluster.local', 'AAAA')).toEqual({ rcode: 'NOERROR', answers: [], additionals: [] });
    expect(ask(r, '10-88-0-500.default.pod.cluster.local', 'A').rcode).toBe('NXDOMAIN');
    expect(ask(r, 'web.default.pod.cluster.local', 'A').rcode).toBe('NXDOMAIN');
  });

  test('dns-version TXT, the apex SOA and NS, ns.dns A', () => {
    const r = recordsWith();
    expect(data(ask(r, 'dns-version.cluster.local', 'TXT'))).toEqual([['1.0.1']]);
    expect(ask(r, 'cluster.local', 'SOA').answers[0]).toMatchObject({ type: 'SOA', data: { mname: 'ns.dns.cluster.local', minimum: 5 } });
    expect(data(ask(r, 'cluster.local', 'NS'))).toEqual(['ns.dns.cluster.local']);
    expect(data(ask(r, 'ns.dns.cluster.local', 'A'))).toEqual(['10.96.0.10']);
  });

  test('dual-stack ClusterIPs: A and AAAA', () => {
    const r = new ClusterRecords(zone);
    r.upsertService(svc('v6', { clusterIP: '10.96.0.30', clusterIPs: ['10.96.0.30', 'fd00:96::30'] }));
    expect(data(ask(r, 'v6.default.svc.cluster.local', 'AAAA'))).toEqual(['fd00:96::30']);
    expect(data(ask(r, 'v6.default.svc.cluster.local', 'A'))).toEqual(['10.96.0.30']);
    expect(data(answerReverse(r, o, 'x', '0.3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.0.d.f.ip6.arpa', 'PTR')!)).toEqual(['v6.default.svc.cluster.local']);
  });

  test('PTR: a ClusterIP names its Service, an endpoint IP its endpoint name; other IPs are not ours', () => {
    const r = recordsWith();
    const ptr = (ip: string) => {
      const name = `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
      const a = answerReverse(r, o, name, name, 'PTR');
      return a && data(a);
    };
    expect(ptr('10.96.0.10')).toEqual(['kube-dns.kube-system.svc.cluster.local']);
    expect(ptr('10.96.0.20')).toEqual(['nginx.default.svc.cluster.local']);
    expect(ptr('10.88.0.7')).toEqual(['db-0.db.default.svc.cluster.local']);
    expect(ptr('10.88.0.5')).toEqual(['10-88-0-5.nginx.default.svc.cluster.local']);
    expect(ptr('192.0.2.1')).toBeUndefined();
  });

  test('updates and deletes: the records follow, the reverse map too', () => {
    const r = recordsWith();
    r.upsertService(svc('nginx', { clusterIP: '10.96.0.21' }));
    expect(data(ask(r, 'nginx.default.svc.cluster.local', 'A'))).toEqual(['10.96.0.21']);
    expect(answerReverse(r, o, 'x', '20.0.96.10.in-addr.arpa', 'PTR')).toBeUndefined();
    r.removeEndpoints(eps('db', []));
    expect(ask(r, 'db.default.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
    expect(answerReverse(r, o, 'x', '7.0.88.10.in-addr.arpa', 'PTR')).toBeUndefined();
    r.removeService(svc('nginx', {}));
    expect(ask(r, 'nginx.default.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
    expect(r.sizes.services).toBe(4);
    for (const s of ['db', 'ext', 'empty']) r.removeService(svc(s, {}));
    // The namespace has no Service left: its name is gone too.
    expect(ask(r, 'default.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
  });

  test('helpers: inZone, reverseIP', () => {
    expect(inZone('cluster.local', zone)).toBe(true);
    expect(inZone('a.cluster.local', zone)).toBe(true);
    expect(inZone('acluster.local', zone)).toBe(false);
    expect(reverseIP('4.3.2.1.in-addr.arpa')).toBe('1.2.3.4');
    expect(reverseIP('3.2.1.in-addr.arpa')).toBeUndefined();
    expect(reverseIP('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa')).toBe('fd00::1');
  });
});
