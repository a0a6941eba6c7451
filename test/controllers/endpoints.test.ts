// The Endpoints controller in the controller manager against a real in-process apiserver: pods get
// IPs and readiness through the status subresource, as a node agent would write them.
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { isNotFound } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { RunningControllers, startControllers } from '../../controllers/manager';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { sleep, waitFor } from '../helpers/wait';

const ns = 'default';
let api: TestApiServer;
let controllers: RunningControllers;

beforeAll(async () => {
  api = await startTestApiServer();
  controllers = await startControllers({ client: api.client, controllers: ['endpoints'], log: () => undefined });
});

afterAll(async () => {
  await controllers?.stop();
  await api?.stop();
});

async function createPod(name: string, labels: Record<string, string>, ip: string, ready: boolean): Promise<void> {
  const pod: Pod = {
    metadata: { name, namespace: ns, labels },
    spec: { nodeName: 'node-1', containers: [{ name: 'web', image: 'nginx', ports: [{ name: 'web', containerPort: 8080 }] }] },
  };
  await api.client.create(Resources.pods, ns, pod);
  await setReady(name, ip, ready);
}

async function setReady(name: string, ip: string, ready: boolean): Promise<void> {
  const status = { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
  await api.client.patch(Resources.pods, ns, name, { status }, 'merge', 'status');
}

async function endpoints(name: string): Promise<Endpoints | undefined> {
  try {
    return await api.client.get<Endpoints>(Resources.endpoints, ns, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function slicesOf(service: string): Promise<EndpointSlice[]> {
  return (await api.client.list<EndpointSlice>(Resources.endpointslices, { namespace: ns, labelSelector: `kubernetes.io/service-name=${service}` })).items;
}

const ips = (list: Array<{ ip: string }> | undefined) => (list || []).map((a) => a.ip);

it('fills, updates and removes the Endpoints of a Service with a selector', async () => {
  const svc: Service = {
    metadata: { name: 'web', namespace: ns, labels: { tier: 'front' } },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'web' }] },
  };
  await api.client.create(Resources.services, ns, svc);
  await createPod('web-1', { app: 'web' }, '10.88.0.11', true);
  await createPod('web-2', { app: 'web' }, '10.88.0.12', false);
  await createPod('other', { app: 'other' }, '10.88.0.13', true);

  let ep = await waitFor('endpoints with one ready and one not-ready pod', async () => {
    const e = await endpoints('web');
    return e && ips(e.subsets?.[0]?.addresses).length === 1 && ips(e.subsets?.[0]?.notReadyAddresses).length === 1 && e;
  });
  expect(ep.metadata?.labels).toEqual({ tier: 'front' });
  expect(ep.subsets).toEqual([
    {
      addresses: [expect.objectContaining({ ip: '10.88.0.11', nodeName: 'node-1', targetRef: expect.objectContaining({ kind: 'Pod', name: 'web-1' }) })],
      notReadyAddresses: [expect.objectContaining({ ip: '10.88.0.12' })],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
  ]);

  // The same pods in one EndpointSlice, owned by the Service.
  const [slice] = await waitFor('one EndpointSlice with both pods', async () => {
    const sl = await slicesOf('web');
    return sl.length === 1 && (sl[0].endpoints || []).length === 2 && sl;
  });
  expect(slice.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
  expect(slice.endpoints?.map((e) => [e.addresses[0], e.conditions?.ready])).toEqual([
    ['10.88.0.11', true],
    ['10.88.0.12', false],
  ]);
  expect(slice.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Service', name: 'web', controller: true });

  // Readiness flips move the address; relabelling a pod out of the selector drops it.
  await setReady('web-2', '10.88.0.12', true);
  await waitFor('web-2 ready in endpoints', async () => ips((await endpoints('web'))?.subsets?.[0]?.addresses).join() === '10.88.0.11,10.88.0.12');
  await api.client.patch(Resources.pods, ns, 'web-1', { metadata: { labels: { app: 'gone' } } }, 'merge');
  await waitFor('web-1 gone from endpoints', async () => ips((await endpoints('web'))?.subsets?.[0]?.addresses).join() === '10.88.0.12');

  // A hand edit of a managed Endpoints is put back.
  ep = (await endpoints('web'))!;
  await api.client.update<Endpoints>(Resources.endpoints, { ...ep, subsets: [] });
  await waitFor('endpoints restored', async () => ips((await endpoints('web'))?.subsets?.[0]?.addresses).join() === '10.88.0.12');

  // Deleting the last pod leaves an empty Endpoints; deleting the Service deletes it.
  await api.client.delete(Resources.pods, ns, 'web-2', { gracePeriodSeconds: 0 });
  await waitFor('empty endpoints', async () => ((await endpoints('web'))?.subsets ?? []).length === 0);
  await api.client.delete(Resources.services, ns, 'web');
  await waitFor('endpoints deleted', async () => (await endpoints('web')) === undefined);
  await waitFor('slices deleted', async () => (await slicesOf('web')).length === 0);
});

it('leaves the Endpoints of a Service without a selector alone', async () => {
  await api.client.create(Resources.services, ns, { metadata: { name: 'external', namespace: ns }, spec: { ports: [{ port: 5432 }] } } as Service);
  const manual: Endpoints = { metadata: { name: 'external', namespace: ns }, subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 5432 }] }] };
  await api.client.create(Resources.endpoints, ns, manual);
  await createPod('db', { app: 'db' }, '10.88.0.20', true);
  await sleep(500);
  const ep = await endpoints('external');
  expect(ips(ep?.subsets?.[0]?.addresses)).toEqual(['192.0.2.10']);
  expect(await slicesOf('external')).toEqual([]);
});
