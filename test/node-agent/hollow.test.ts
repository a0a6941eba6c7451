// Hollow nodes against the in-process apiserver: N nodes register and heartbeat; pods bound to them
// reach Running + Ready; stopNode silences one node's Lease while the others keep renewing.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import { Resources } from '../../lib/api/resources';
import { HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { waitForWithin } from '../helpers/wait';

const waitFor = waitForWithin(30000);

jest.setTimeout(90_000);


describe('hollow nodes', () => {
  let api: TestApiServer;
  let hollow: HollowNodes;
  const count = 40;

  beforeAll(async () => {
    api = await startTestApiServer();
    hollow = await startHollowNodes({ client: api.client, count, namePrefix: 'hn-', leaseRenewIntervalMs: 300, relistIntervalMs: 200, log: () => undefined });
  });

  afterAll(async () => {
    await hollow?.stop();
    await api?.stop();
  });

  test('all nodes register Ready with their made-up capacity', async () => {
    const nodes = await api.client.list<Node>(Resources.nodes);
    const ours = nodes.items.filter((n) => n.metadata?.name?.startsWith('hn-'));
    expect(ours).toHaveLength(count);
    for (const n of ours) {
      expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(n.status?.capacity).toMatchObject({ cpu: '4', pods: '110' });
      expect(n.metadata?.labels?.['node.steer.io/hollow']).toBe('true');
    }
  });

  test('pods bound to hollow nodes become Running and Ready', async () => {
    const pods = 80;
    await Promise.all(
      Array.from({ length: pods }, (_, i) =>
        api.client.create<Pod>(Resources.pods, 'default', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `hp-${i}`, namespace: 'default', labels: { hollow: 'yes' } },
          spec: {
            nodeName: `hn-${i % count}`,
            containers: [{ name: 'c', image: 'nginx:1.22', readinessProbe: { httpGet: { port: 80, path: '/' }, periodSeconds: 1 } }],
          },
        }),
      ),
    );
    await waitFor('all Ready', async () => {
      const list = await api.client.list<Pod>(Resources.pods, { namespace: 'default', labelSelector: 'hollow=yes' });
      const ready = list.items.filter((p) => p.status?.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
      return ready.length === pods;
    });
    let running = 0;
    for (const rt of hollow.runtimes.values()) running += rt.counts().running;
    expect(running).toBe(pods);
  });

  test('stopNode silences one node; the others keep renewing', async () => {
    const renewTime = async (name: string) => (await api.client.get<Lease>(Resources.leases, 'kube-node-lease', name)).spec?.renewTime;
    hollow.stopNode('hn-3');
    await new Promise((r) => setTimeout(r, 400)); // let an in-flight renewal land
    const silent = await renewTime('hn-3');
    const other = await renewTime('hn-4');
    await new Promise((r) => setTimeout(r, 1200));
    expect(await renewTime('hn-3')).toBe(silent);
    expect(await renewTime('hn-4')).not.toBe(other);
    await hollow.resumeNode('hn-3');
    await waitFor('hn-3 renews again', async () => (await renewTime('hn-3')) !== silent);
  });
});
