// The service load balancer (k3s' ServiceLB) and the apiserver's LoadBalancer fields against a real
// in-process apiserver: a LoadBalancer Service gets the Ready nodes' addresses as ingress (kubectl's
// EXTERNAL-IP), a later one asking for a taken port stays pending with a SyncLoadBalancerFailed event and
// gets its ingress once the port is free, a node going NotReady leaves the ingress, a type change clears
// it; externalTrafficPolicy Local gets a healthCheckNodePort (kept across updates, dropped with the
// policy, released on delete), allocateLoadBalancerNodePorts: false allocates no node ports.
import type { Event, Node, Service } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { ApiError, type KubeClient } from '../../lib/client/client';
import { type RunningControllers, startControllers } from '../../controllers/manager';
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver';
import { waitFor } from '../helpers/wait';

let api: TestApiServer;
let client: KubeClient;
let ctl: RunningControllers;

beforeAll(async () => {
  api = await startTestApiServer();
  client = api.client;
  ctl = await startControllers({ client, controllers: ['service-lb'], leaderElect: false, log: () => undefined });
}, 60_000);

afterAll(async () => {
  await ctl?.stop();
  await api?.stop();
});

async function putNode(name: string, ip: string, ready: boolean): Promise<void> {
  const body: Node = { metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } };
  try {
    const cur = await client.get<Node>(Resources.nodes, undefined, name);
    await client.update<Node>(Resources.nodes, { ...cur, status: body.status }, 'status');
  } catch {
    const created = await client.create<Node>(Resources.nodes, undefined, { metadata: { name } });
    await client.update<Node>(Resources.nodes, { ...created, status: body.status }, 'status');
  }
}

const ingressOf = async (name: string) => ((await client.get<Service>(Resources.services, 'default', name)).status?.loadBalancer?.ingress ?? []).map((i) => i.ip);

function lbService(name: string, port: number, spec: Partial<NonNullable<Service['spec']>> = {}): Service {
  return { metadata: { name }, spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port, protocol: 'TCP' }], ...spec } };
}

it("LoadBalancer Services get the Ready nodes' addresses; a taken port waits for its holder to go", async () => {
  await putNode('lb-a', '192.168.50.11', true);
  await putNode('lb-b', '192.168.50.12', true);
  await client.create(Resources.services, 'default', lbService('web', 80));
  await waitFor('web ingress', async () => (await ingressOf('web')).join() === '192.168.50.11,192.168.50.12', 10_000);

  await client.create(Resources.services, 'default', lbService('web2', 80));
  const warning = await waitFor('the conflict warning', async () => {
    const events = (await client.list<Event>(Resources.events, { namespace: 'default' })).items;
    return events.find((e) => e.involvedObject.name === 'web2' && e.reason === 'SyncLoadBalancerFailed');
  }, 10_000);
  expect(warning.message).toBe('Error syncing load balancer: port 80/TCP is used by LoadBalancer Service default/web on every node');
  expect(await ingressOf('web2')).toEqual([]);
  const ensured = (await client.list<Event>(Resources.events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === 'web').map((e) => e.reason);
  expect(ensured).toEqual(expect.arrayContaining(['EnsuringLoadBalancer', 'EnsuredLoadBalancer']));

  // A node going NotReady is left out.
  await putNode('lb-b', '192.168.50.12', false);
  await waitFor('lb-b left out', async () => (await ingressOf('web')).join() === '192.168.50.11', 10_000);

  // web turned ClusterIP: its ingress is cleared and the port passes to web2.
  const web = await client.get<Service>(Resources.services, 'default', 'web');
  await client.update<Service>(Resources.services, { ...web, spec: { ...web.spec, type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP' }] } });
  await waitFor('web cleared, web2 exposed', async () => (await ingressOf('web')).length === 0 && (await ingressOf('web2')).join() === '192.168.50.11', 10_000);
});

it('externalTrafficPolicy Local gets a healthCheckNodePort, kept across updates, dropped with the policy, released on delete', async () => {
  await client.create<Service>(Resources.services, 'default', lbService('hc', 8443, { externalTrafficPolicy: 'Local' }));
  // Read back: the load balancer controller may have written the status meanwhile.
  const created = await client.get<Service>(Resources.services, 'default', 'hc');
  const hc = created.spec!.healthCheckNodePort!;
  expect(hc).toBeGreaterThanOrEqual(30000);
  expect(hc).not.toBe(created.spec!.ports![0].nodePort);
  // An update that does not name it keeps it.
  const { healthCheckNodePort: _unused, ...specWithout } = created.spec!;
  const kept = await client.update<Service>(Resources.services, { ...created, spec: specWithout }).catch(async () => {
    // The status write raced the update: once more from the latest version.
    const latest = await client.get<Service>(Resources.services, 'default', 'hc');
    return client.update<Service>(Resources.services, { ...latest, spec: specWithout });
  });
  expect(kept.spec?.healthCheckNodePort).toBe(hc);
  // Taken: another Service asking for it explicitly is refused, naming the field.
  const taken = await client.create(Resources.services, 'default', lbService('hc2', 8444, { externalTrafficPolicy: 'Local', healthCheckNodePort: hc })).catch((e: ApiError) => e);
  expect(taken).toBeInstanceOf(ApiError);
  expect((taken as ApiError).status.details?.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec.healthCheckNodePort', message: `Invalid value: ${hc}: provided port is already allocated` }]);
  // Cluster policy: dropped (the write still carries the old value, as kubectl apply's would).
  const current = await client.get<Service>(Resources.services, 'default', 'hc');
  const cluster = await client.update<Service>(Resources.services, { ...current, spec: { ...current.spec, externalTrafficPolicy: 'Cluster' } });
  expect(cluster.spec?.healthCheckNodePort).toBeUndefined();
  // …and free again.
  const reused = await client.create<Service>(Resources.services, 'default', lbService('hc3', 8445, { externalTrafficPolicy: 'Local', healthCheckNodePort: hc }));
  expect(reused.spec?.healthCheckNodePort).toBe(hc);
  // Only for LoadBalancer Services of policy Local.
  const wrong = await client
    .create(Resources.services, 'default', { metadata: { name: 'np' }, spec: { type: 'NodePort', externalTrafficPolicy: 'Local', healthCheckNodePort: 31999, ports: [{ port: 80 }] } })
    .catch((e: ApiError) => e);
  expect((wrong as ApiError).status.details?.causes).toEqual([
    { reason: 'FieldValueInvalid', field: 'spec.healthCheckNodePort', message: "Invalid value: 31999: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'" },
  ]);
  await client.delete(Resources.services, 'default', 'hc3');
  const again = await client.create<Service>(Resources.services, 'default', lbService('hc4', 8446, { externalTrafficPolicy: 'Local', healthCheckNodePort: hc }));
  expect(again.spec?.healthCheckNodePort).toBe(hc);
});

it('loadBalancerSourceRanges: CIDRs, LoadBalancer Services only, with kube\'s field path and messages', async () => {
  const bad = await client.create(Resources.services, 'default', lbService('ranges', 9200, { loadBalancerSourceRanges: ['10.0.0.0/8', '10.0.0.1'] })).catch((e: ApiError) => e);
  expect((bad as ApiError).status.details?.causes).toEqual([
    { reason: 'FieldValueInvalid', field: 'spec.LoadBalancerSourceRanges[1]', message: 'Invalid value: "10.0.0.1": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)' },
  ]);
  const np = await client
    .create(Resources.services, 'default', { metadata: { name: 'np-ranges' }, spec: { type: 'NodePort', loadBalancerSourceRanges: ['10.0.0.0/8'], ports: [{ port: 80 }] } })
    .catch((e: ApiError) => e);
  expect((np as ApiError).status.details?.causes).toEqual([{ reason: 'FieldValueForbidden', field: 'spec.LoadBalancerSourceRanges', message: "Forbidden: may only be used when `type` is 'LoadBalancer'" }]);
  // Space-padded values (from the old annotation) are accepted, as kube-apiserver accepts them.
  const ok = await client.create<Service>(Resources.services, 'default', lbService('ranges', 9200, { loadBalancerSourceRanges: [' 10.0.0.0/8 '] }));
  expect(ok.spec?.loadBalancerSourceRanges).toEqual([' 10.0.0.0/8 ']);
});

it('allocateLoadBalancerNodePorts: false allocates no node port', async () => {
  const svc = await client.create<Service>(Resources.services, 'default', lbService('nonp', 9000, { allocateLoadBalancerNodePorts: false }));
  expect(svc.spec?.ports?.[0].nodePort).toBeUndefined();
  expect(svc.spec?.allocateLoadBalancerNodePorts).toBe(false);
});

it("a type change alone is valid: the old type's fields the write left as they were go (kube's dropTypeDependentFields)", async () => {
  await client.create<Service>(Resources.services, 'default', lbService('retype', 9100, { externalTrafficPolicy: 'Local' }));
  const before = await client.get<Service>(Resources.services, 'default', 'retype');
  // What `kubectl patch -p '{"spec":{"type":"ClusterIP"}}'` sends on: every other field as it was.
  const after = await client.patch<Service>(Resources.services, 'default', 'retype', { spec: { type: 'ClusterIP' } }, 'merge');
  expect(after.spec?.type).toBe('ClusterIP');
  expect(after.spec?.ports?.[0].nodePort).toBeUndefined();
  expect(after.spec?.healthCheckNodePort).toBeUndefined();
  expect(after.spec?.externalTrafficPolicy).toBeUndefined();
  expect(after.spec?.allocateLoadBalancerNodePorts).toBeUndefined();
  // Its node ports are free again.
  const reuse = await client.create<Service>(Resources.services, 'default', { metadata: { name: 'reuse' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: before.spec!.ports![0].nodePort }] } });
  expect(reuse.spec?.ports?.[0].nodePort).toBe(before.spec!.ports![0].nodePort);
});
