// StatefulSets and volumes on the whole stack: in-process apiserver, the StatefulSet, binder, protection
// and local-path provisioner controllers, the scheduler (VolumeBinding) and hollow node agents.
import * as fs from 'node:fs';
import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { Event, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { Resources } from '../../lib/api/resources';
import { startControllers, RunningControllers } from '../../controllers';
import { HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { RunningScheduler, startScheduler } from '../../scheduler/start';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { sleep, waitForWithin } from '../helpers/wait';

const waitFor = waitForWithin(40000);
const ns = 'default';
const isReady = (p: Pod) => !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

describe('StatefulSets with claims on hollow nodes', () => {
  let srv: TestApiServer;
  let nodes: HollowNodes;
  let scheduler: RunningScheduler;
  let controllers: RunningControllers;

  beforeAll(async () => {
    srv = await startTestApiServer({ enableAdmissionPlugins: ['DefaultStorageClass', 'PersistentVolumeClaimResize'] });
    nodes = await startHollowNodes({ client: srv.client, count: 2, namePrefix: 'sts-node-', port: false, leaseRenewIntervalMs: 2000, log: () => undefined });
    scheduler = await startScheduler({ client: srv.client });
    controllers = await startControllers({
      client: srv.client,
      controllers: ['statefulset', 'persistentvolume-binder', 'persistentvolume-protection', 'local-path-provisioner', 'garbage-collector'],
      log: () => undefined,
    });
  }, 60000);

  afterAll(async () => {
    await controllers?.stop();
    await scheduler?.stop();
    await nodes?.stop();
    await srv?.stop();
  });

  const pods = async () => (await srv.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: 'app=db' })).items;
  const claim = (name: string) => srv.client.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, name);

  function statefulSet(replicas: number): StatefulSet {
    return {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: ns },
      spec: {
        replicas,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'busybox:1.35', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    };
  }

  it('serves the default local-path class', async () => {
    const sc = await waitFor('local-path class', () => srv.client.get<StorageClass>(Resources.storageclasses, undefined, 'local-path').catch(() => undefined));
    expect(sc).toMatchObject({ provisioner: 'steer.io/local-path', volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Delete' });
  });

  it('creates pods in order, each with a claim bound on its node', async () => {
    await srv.client.create(Resources.statefulsets, ns, statefulSet(3));
    const order: string[] = [];
    await waitFor('3 ready pods', async () => {
      const ps = await pods();
      for (const p of ps.sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''))) if (!order.includes(p.metadata!.name!)) order.push(p.metadata!.name!);
      // OrderedReady: never a pod while a lower one is not Ready.
      const ready = new Set(ps.filter(isReady).map((p) => p.metadata?.name));
      for (const p of ps) {
        const ord = Number(p.metadata!.name!.split('-')[1]);
        for (let lower = 0; lower < ord; lower++) if (!ready.has(`db-${lower}`)) throw new Error(`db-${ord} exists while db-${lower} is not Ready`);
      }
      return ps.filter(isReady).length === 3;
    });
    expect(order).toEqual(['db-0', 'db-1', 'db-2']);
    for (const p of await pods()) {
      const c = await claim(`data-${p.metadata?.name}`);
      expect(c.status?.phase).toBe('Bound');
      expect(c.spec?.storageClassName).toBe('local-path');
      const pv = await srv.client.get<PersistentVolume>(Resources.persistentvolumes, undefined, c.spec!.volumeName!);
      expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0].matchExpressions?.[0].values).toEqual([p.spec?.nodeName]);
      expect(pv.spec?.local?.path).toMatch(/\/storage\/pvc-/);
      // The node agent made the directory when it mounted the volume.
      expect(fs.existsSync(pv.spec!.local!.path)).toBe(true);
      expect(p.spec?.hostname).toBe(p.metadata?.name);
      expect(p.spec?.subdomain).toBe('db');
    }
    const set = await srv.client.get<StatefulSet>(Resources.statefulsets, ns, 'db');
    expect(set.status).toMatchObject({ replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3 });
    expect(set.status?.currentRevision).toBe(set.status?.updateRevision);
  });

  it('gives a replaced pod the same claim, on the same node', async () => {
    const before = (await pods()).find((p) => p.metadata?.name === 'db-1')!;
    await srv.client.delete(Resources.pods, ns, 'db-1');
    const after = await waitFor('db-1 back', async () => (await pods()).find((p) => p.metadata?.name === 'db-1' && p.metadata?.uid !== before.metadata?.uid && isReady(p)));
    expect(after.spec?.nodeName).toBe(before.spec?.nodeName);
    expect(after.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName).toBe('data-db-1');
  });

  it('keeps a claim in use until its pod is gone, and scales down in reverse order', async () => {
    await srv.client.delete(Resources.persistentvolumeclaims, ns, 'data-db-2');
    await sleep(1000);
    const held = await claim('data-db-2');
    expect(held.metadata?.deletionTimestamp).toBeTruthy();
    expect(held.metadata?.finalizers).toContain('kubernetes.io/pvc-protection');
    await srv.client.patch(Resources.statefulsets, ns, 'db', { spec: { replicas: 1 } }, 'merge');
    const gone: string[] = [];
    await waitFor('scaled to 1', async () => {
      const names = (await pods()).map((p) => p.metadata?.name ?? '');
      for (const n of ['db-2', 'db-1']) if (!names.includes(n) && !gone.includes(n)) gone.push(n);
      return names.length === 1;
    });
    expect(gone).toEqual(['db-2', 'db-1']);
    await waitFor('data-db-2 deleted once its pod went', () => claim('data-db-2').then(() => false, () => true));
    // Released under reclaim Delete: the provisioner deletes the volume, the node agent its directory.
    await waitFor('no volume left for data-db-2', async () => {
      const pvs = (await srv.client.list<PersistentVolume>(Resources.persistentvolumes)).items;
      return !pvs.some((v) => v.spec?.claimRef?.name === 'data-db-2');
    });
    // The retained claim of db-1 is still there, Bound.
    expect((await claim('data-db-1')).status?.phase).toBe('Bound');
  });

  it('leaves a claim no volume fits Pending with an event saying why', async () => {
    await srv.client.create(Resources.persistentvolumes, undefined, {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'small' },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: '', hostPath: { path: '/tmp/steer-small' } },
    });
    await srv.client.create(Resources.persistentvolumeclaims, ns, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'huge' },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: '', resources: { requests: { storage: '100Gi' } } },
    });
    await srv.client.create(Resources.persistentvolumeclaims, ns, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'unknown-class' },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'nope', resources: { requests: { storage: '1Gi' } } },
    });
    const reasons = await waitFor('events for both claims', async () => {
      const evs = (await srv.client.list<Event>(Resources.events, { namespace: ns })).items;
      const of = (n: string) => evs.find((e) => e.involvedObject.name === n && e.involvedObject.kind === 'PersistentVolumeClaim');
      const a = of('huge');
      const b = of('unknown-class');
      return a && b ? [a.message, b.message] : undefined;
    });
    expect(reasons).toEqual(['no persistent volumes available for this claim and no storage class is set', 'storageclass.storage.k8s.io "nope" not found']);
    expect((await claim('huge')).status?.phase).toBe('Pending');
    // A claim that fits binds the static volume.
    await srv.client.create(Resources.persistentvolumeclaims, ns, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'fits' },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: '', resources: { requests: { storage: '512Mi' } } },
    });
    await waitFor('fits bound to small', async () => (await claim('fits')).spec?.volumeName === 'small' && (await claim('fits')).status?.phase === 'Bound');
  });

  it('keeps ControllerRevisions and rolls an update out from the highest ordinal down', async () => {
    await srv.client.patch(Resources.statefulsets, ns, 'db', { spec: { replicas: 3 } }, 'merge');
    await waitFor('3 ready', async () => (await pods()).filter(isReady).length === 3);
    await srv.client.patch(Resources.statefulsets, ns, 'db', { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } }, template: { metadata: { annotations: { v: '2' } } } } }, 'strategic');
    const set = await waitFor('updated above the partition', async () => {
      const s = await srv.client.get<StatefulSet>(Resources.statefulsets, ns, 'db');
      return s.status?.updatedReplicas === 2 && s.status.readyReplicas === 3 ? s : undefined;
    });
    const byName = new Map((await pods()).map((p) => [p.metadata?.name, p.metadata?.labels?.['controller-revision-hash']]));
    expect(byName.get('db-0')).toBe(set.status?.currentRevision);
    expect(byName.get('db-1')).toBe(set.status?.updateRevision);
    expect(byName.get('db-2')).toBe(set.status?.updateRevision);
    const revisions = (await srv.client.list<{ revision: number; metadata: { name: string } }>(Resources.controllerrevisions, { namespace: ns, labelSelector: 'app=db' })).items;
    expect(revisions.map((r) => r.revision).sort()).toEqual([1, 2]);
  });

  it('deletes claims as the retention policy says, and its revisions with the set (garbage collector)', async () => {
    const set = statefulSet(2);
    set.metadata = { name: 'tmp', namespace: ns };
    set.spec!.serviceName = 'tmp';
    set.spec!.selector = { matchLabels: { app: 'tmp' } };
    set.spec!.template.metadata = { labels: { app: 'tmp' } };
    set.spec!.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Delete', whenScaled: 'Delete' };
    await srv.client.create(Resources.statefulsets, ns, set);
    const tmpPods = async () => (await srv.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: 'app=tmp' })).items;
    const exists = (name: string) => claim(name).then(() => true, () => false);
    await waitFor('2 ready', async () => (await tmpPods()).filter(isReady).length === 2);
    expect(await exists('data-tmp-0')).toBe(true);
    expect(await exists('data-tmp-1')).toBe(true);
    // whenScaled: Delete — the claim of the pod scaled away goes with it.
    await srv.client.patch(Resources.statefulsets, ns, 'tmp', { spec: { replicas: 1 } }, 'merge');
    await waitFor('data-tmp-1 deleted', async () => !(await exists('data-tmp-1')));
    expect(await exists('data-tmp-0')).toBe(true);
    const revisions = async () => (await srv.client.list(Resources.controllerrevisions, { namespace: ns, labelSelector: 'app=tmp' })).items;
    expect((await revisions()).length).toBeGreaterThan(0);
    // whenDeleted: Delete — deleting the set takes its pods, claims and ControllerRevisions.
    await srv.client.delete(Resources.statefulsets, ns, 'tmp');
    await waitFor('pods, claims and revisions gone', async () => (await tmpPods()).length === 0 && !(await exists('data-tmp-0')) && (await revisions()).length === 0);
  });

  it('grows a bound claim whose class allows it, refuses one whose class does not; Retain keeps the released volume', async () => {
    // data-db-0 is local-path's (allowVolumeExpansion: true): the provisioner records the new size.
    expect((await claim('data-db-0')).spec?.storageClassName).toBe('local-path');
    await srv.client.patch(Resources.persistentvolumeclaims, ns, 'data-db-0', { spec: { resources: { requests: { storage: '3Gi' } } } }, 'merge');
    const grown = await waitFor('data-db-0 grown', async () => {
      const c = await claim('data-db-0');
      return c.status?.capacity?.storage === '3Gi' ? c : undefined;
    });
    expect((await srv.client.get<PersistentVolume>(Resources.persistentvolumes, undefined, grown.spec!.volumeName!)).spec?.capacity?.storage).toBe('3Gi');
    await expect(srv.client.patch(Resources.persistentvolumeclaims, ns, 'data-db-0', { spec: { resources: { requests: { storage: '2Gi' } } } }, 'merge')).rejects.toMatchObject({ code: 422 });

    await srv.client.create(Resources.storageclasses, undefined, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'keep' }, provisioner: 'steer.io/local-path', reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer' });
    await srv.client.create(Resources.persistentvolumeclaims, ns, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'kept' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'keep', resources: { requests: { storage: '1Gi' } } } });
    await srv.client.create(Resources.pods, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'keeper' }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox:1.35' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'kept' } }] } });
    const kept = await waitFor('kept Bound', async () => {
      const c = await claim('kept');
      return c.status?.phase === 'Bound' ? c : undefined;
    });
    await expect(srv.client.patch(Resources.persistentvolumeclaims, ns, 'kept', { spec: { resources: { requests: { storage: '2Gi' } } } }, 'merge')).rejects.toMatchObject({
      code: 403,
      message: 'persistentvolumeclaims "kept" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize',
    });
    const volumeName = kept.spec!.volumeName!;
    expect((await srv.client.get<PersistentVolume>(Resources.persistentvolumes, undefined, volumeName)).spec?.persistentVolumeReclaimPolicy).toBe('Retain');
    await srv.client.delete(Resources.pods, ns, 'keeper');
    await srv.client.delete(Resources.persistentvolumeclaims, ns, 'kept');
    await waitFor('kept gone', () => claim('kept').then(() => false, () => true));
    const released = await waitFor('volume Released', async () => {
      const v = await srv.client.get<PersistentVolume>(Resources.persistentvolumes, undefined, volumeName);
      return v.status?.phase === 'Released' ? v : undefined;
    });
    expect(released.spec?.claimRef?.name).toBe('kept');
    await sleep(1500);
    // Retain: neither the binder nor the provisioner deletes it.
    expect((await srv.client.get<PersistentVolume>(Resources.persistentvolumes, undefined, volumeName)).status?.phase).toBe('Released');
  });
});
