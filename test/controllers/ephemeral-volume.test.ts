// Generic ephemeral volumes on the whole stack: in-process apiserver (DefaultStorageClass admission), the
// ephemeral volume, binder, protection, local-path provisioner and garbage collector controllers, the
// scheduler (VolumeBinding) and hollow node agents. A pod's `ephemeral` volume becomes a claim of its own,
// provisioned on the pod's node, mounted, and deleted with the pod; a claim of that name the pod does not
// control is never used.
import * as fs from 'node:fs';
import type { Event, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { isNotFound } from '../../lib/client/client';
import { type RunningControllers, startControllers } from '../../controllers';
import { type HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { type RunningScheduler, startScheduler } from '../../scheduler/start';
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver';
import { waitForWithin } from '../helpers/wait';

const waitFor = waitForWithin(30_000);
const ns = 'default';
let srv: TestApiServer;
let nodes: HollowNodes;
let scheduler: RunningScheduler;
let controllers: RunningControllers;

beforeAll(async () => {
  srv = await startTestApiServer({ enableAdmissionPlugins: ['DefaultStorageClass'] });
  nodes = await startHollowNodes({ client: srv.client, count: 1, namePrefix: 'eph-node-', port: false, log: () => undefined });
  scheduler = await startScheduler({ client: srv.client });
  controllers = await startControllers({
    client: srv.client,
    controllers: ['ephemeral-volume', 'persistentvolume-binder', 'persistentvolume-protection', 'local-path-provisioner', 'garbage-collector'],
    leaderElect: false,
    log: () => undefined,
  });
}, 60_000);

afterAll(async () => {
  await controllers?.stop();
  await scheduler?.stop();
  await nodes?.stop();
  await srv?.stop();
});

function podWithScratch(name: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: {
      containers: [{ name: 'c', image: 'busybox:1.35', volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }],
      volumes: [{ name: 'scratch', ephemeral: { volumeClaimTemplate: { metadata: { labels: { kind: 'scratch' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } }],
    },
  };
}

async function gone(r: typeof Resources.pods, namespace: string | undefined, name: string): Promise<boolean> {
  try {
    await srv.client.get(r, namespace, name);
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

test('the pod gets a claim of its own, provisioned on its node and mounted; deleting the pod deletes the claim and its volume', async () => {
  const created = await srv.client.create<Pod>(Resources.pods, ns, podWithScratch('web'));
  const claim = await waitFor('the claim bound', async () => {
    const c = await srv.client.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, 'web-scratch').catch(() => undefined);
    return c?.status?.phase === 'Bound' && c;
  });
  expect(claim.metadata?.labels).toEqual({ kind: 'scratch' });
  expect(claim.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'web', uid: created.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
  // The default class came from admission, as for any claim.
  expect(claim.spec?.storageClassName).toBe('local-path');
  const running = await waitFor('the pod running', async () => {
    const p = await srv.client.get<Pod>(Resources.pods, ns, 'web');
    return p.status?.phase === 'Running' && p;
  });
  const pv = await srv.client.get<PersistentVolume>(Resources.persistentvolumes, undefined, claim.spec!.volumeName!);
  expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values).toEqual([running.spec?.nodeName]);
  // The agent made the volume's directory when it set the pod up.
  expect(fs.existsSync(pv.spec!.local!.path)).toBe(true);

  await srv.client.delete(Resources.pods, ns, 'web', { gracePeriodSeconds: 0 });
  await waitFor('the claim collected with its pod', () => gone(Resources.persistentvolumeclaims, ns, 'web-scratch'));
  await waitFor('its volume deleted (reclaim policy Delete)', () => gone(Resources.persistentvolumes, undefined, pv.metadata!.name!));
}, 60_000);

test('a claim of that name the pod does not control is never used: the pod stays unscheduled and says why', async () => {
  await srv.client.create<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'squatter-scratch' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  });
  await srv.client.create<Pod>(Resources.pods, ns, podWithScratch('squatter'));
  const events = await waitFor('the controller’s and the scheduler’s warnings', async () => {
    const list = (await srv.client.list<Event>(Resources.events, { namespace: ns, fieldSelector: 'involvedObject.name=squatter' })).items;
    const reasons = new Set(list.map((e) => e.reason));
    return reasons.has('FailedBinding') && reasons.has('FailedScheduling') && list;
  });
  const message = 'PVC default/squatter-scratch was not created for pod default/squatter (pod is not owner)';
  expect(events.find((e) => e.reason === 'FailedBinding')?.message).toBe(`ephemeral volume scratch: ${message}`);
  expect(events.find((e) => e.reason === 'FailedScheduling')?.message).toContain(message);
  const pod = await srv.client.get<Pod>(Resources.pods, ns, 'squatter');
  expect(pod.spec?.nodeName).toBeUndefined();
  // The user's claim is untouched.
  const c = await srv.client.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, 'squatter-scratch');
  expect(c.metadata?.ownerReferences).toBeUndefined();
}, 60_000);
