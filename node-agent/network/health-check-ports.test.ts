import * as http from 'node:http';
import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import { HealthCheckPorts, healthCheckAnswer, healthCheckTargets } from './health-check-ports';

const svc = (name: string, spec: Service['spec']): Service => ({ metadata: { name, namespace: 'default' }, spec });
const eps = (name: string, addrs: [string, string][]): Endpoints => ({
  metadata: { name, namespace: 'default' },
  subsets: [
    { addresses: addrs.map(([ip, nodeName]) => ({ ip, nodeName })), ports: [{ port: 80 }] },
    { addresses: addrs.map(([ip, nodeName]) => ({ ip, nodeName })), ports: [{ port: 443 }] },
  ],
});

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('health check ports', () => {
  it("serve LoadBalancer Services of externalTrafficPolicy Local only, counting this node's endpoints once each", () => {
    const services = [
      svc('local', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 32000 }),
      svc('cluster', { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster' }),
      svc('empty', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 32001 }),
    ];
    const targets = healthCheckTargets(services, [eps('local', [['10.88.0.2', 'n1'], ['10.88.1.2', 'n2'], ['10.88.0.3', 'n1']])], 'n1');
    expect([...targets.entries()]).toEqual([
      [32000, { namespace: 'default', name: 'local', localEndpoints: 2 }],
      [32001, { namespace: 'default', name: 'empty', localEndpoints: 0 }],
    ]);
    expect(healthCheckAnswer(targets.get(32000)!).status).toBe(200);
    expect(healthCheckAnswer(targets.get(32001)!)).toEqual({ status: 503, body: '{"service":{"namespace":"default","name":"empty"},"localEndpoints":0,"serviceProxyHealthy":true}' });
  });

  it('open and close servers to match, answering what the last update says', async () => {
    const ports = new HealthCheckPorts('127.0.0.1', () => undefined);
    const free = await new Promise<number>((resolve) => {
      const s = http.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    try {
      await ports.update(new Map([[free, { namespace: 'default', name: 'web', localEndpoints: 0 }]]));
      expect(ports.ports).toEqual([free]);
      expect((await get(free)).status).toBe(503);
      await ports.update(new Map([[free, { namespace: 'default', name: 'web', localEndpoints: 3 }]]));
      const ok = await get(free);
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body).localEndpoints).toBe(3);
      await ports.update(new Map());
      expect(ports.ports).toEqual([]);
      await expect(get(free)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await ports.close();
    }
  });
});
