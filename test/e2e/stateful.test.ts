// End to end on real containerd: apiserver, scheduler (VolumeBinding), the StatefulSet, binder,
// protection and local-path provisioner controllers, and one node agent on a runtime of its own. A
// StatefulSet's pod appends a row to a file-backed store on its claim; the pod is deleted and
// `kv-0` comes back with the same claim and sees the row; a claim deleted while its pod runs stays
// until the pod goes; the released volume (reclaim Delete) is deleted and its directory removed. A pod
// with an fsGroup runs in that group and owns its claim and emptyDir through it (a claim made without a
// class gets the default one from DefaultStorageClass admission).
// Then Redis (the image built from Debian's packages, manifests/redis-statefulset.yaml): keys written
// survive the pod's replacement; 1→3 in order, a partitioned rolling update, 3→1 in reverse; claims that
// cannot be satisfied stay Pending with an event saying why.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { Event, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import type { KubeObject } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import type { CriRuntime } from '../../node-agent/runtime/cri/cri-runtime';
import { IMAGES } from '../../node-agent/runtime-setup';
import { podDir } from '../../node-agent/host-files';
import type { TestApiServer } from '../helpers/apiserver';
import { sleep, waitForWithin } from '../helpers/wait';
import { SingleNodeCluster, startSingleNodeCluster } from './helpers/cluster';
import type { TestRuntime } from './helpers/runtime';

const waitFor = waitForWithin(90_000);
jest.setTimeout(300_000);
const ns = 'default';
const isReady = (p: Pod) => !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

describe('StatefulSets with local-path claims on real containerd', () => {
  let cluster: SingleNodeCluster | undefined;
  let rt: TestRuntime;
  let api: TestApiServer;
  let cri: CriRuntime;
  let stateDir: string;

  beforeAll(async () => {
    cluster = await startSingleNodeCluster({
      name: 'stateful',
      nodeName: 'e2e-stateful-node',
      api: { enableAdmissionPlugins: ['DefaultStorageClass'] },
      agent: { relistIntervalMs: 200, localPathSweepIntervalMs: 500 },
      scheduler: true,
      controllers: ['statefulset', 'persistentvolume-binder', 'persistentvolume-protection', 'local-path-provisioner', 'garbage-collector'],
    });
    ({ rt, api, cri, agentStateDir: stateDir } = cluster);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  const readyPod = (uidNot?: string) =>
    waitFor('kv-0 Ready', async () => {
      const p = await api.client.get<Pod>(Resources.pods, ns, 'kv-0').catch(() => undefined);
      return p && isReady(p) && p.metadata?.uid !== uidNot ? p : undefined;
    });
  const claim = () => api.client.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, 'data-kv-0');

  let volumeDir = '';

  it('keeps the store of kv-0 across a replacement pod', async () => {
    const set: StatefulSet = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'kv', namespace: ns },
      spec: {
        replicas: 1,
        serviceName: 'kv',
        selector: { matchLabels: { app: 'kv' } },
        template: {
          metadata: { labels: { app: 'kv' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'kv',
                image: IMAGES.busybox,
                // A file-backed store: one row per start, named after the pod's hostname and a counter.
                command: ['sh', '-c', 'n=$(cat /data/db/rows 2>/dev/null | wc -l); echo "$(hostname) row$n" >> /data/db/rows; exec sleep 3600'],
                volumeMounts: [{ name: 'data', mountPath: '/data/db', subPath: 'db' }],
              },
            ],
          },
        },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } } }],
      },
    };
    await api.client.create(Resources.statefulsets, ns, set);
    const first = await readyPod();
    const c = await claim();
    expect(c.status?.phase).toBe('Bound');
    const pv = await api.client.get<PersistentVolume>(Resources.persistentvolumes, undefined, c.spec!.volumeName!);
    volumeDir = pv.spec!.local!.path;
    // The data lives under the node agent's state dir.
    expect(volumeDir.startsWith(path.join(stateDir, 'storage'))).toBe(true);
    const rows = path.join(volumeDir, 'db', 'rows');
    await waitFor('first row', () => fs.existsSync(rows) && fs.readFileSync(rows, 'utf8') === 'kv-0 row0\n');

    await api.client.delete(Resources.pods, ns, 'kv-0');
    const second = await readyPod(first.metadata?.uid);
    expect(second.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName).toBe('data-kv-0');
    await waitFor('second row after the first', () => fs.readFileSync(rows, 'utf8') === 'kv-0 row0\nkv-0 row1\n');
  });

  it('keeps a claim in use until its pod is gone, then Delete reclaim removes the directory', async () => {
    await api.client.delete(Resources.persistentvolumeclaims, ns, 'data-kv-0');
    await sleep(1500);
    const held = await claim();
    expect(held.metadata?.deletionTimestamp).toBeTruthy();
    expect(fs.existsSync(volumeDir)).toBe(true);
    await api.client.patch(Resources.statefulsets, ns, 'kv', { spec: { replicas: 0 } }, 'merge');
    await waitFor('claim gone after its pod', () => claim().then(() => false, () => true));
    await waitFor('volume directory removed', () => !fs.existsSync(volumeDir));
    const pvs = (await api.client.list<PersistentVolume>(Resources.persistentvolumes)).items;
    expect(pvs.filter((v) => v.spec?.claimRef?.name === 'data-kv-0')).toEqual([]);
  });

  it('runs a pod with an fsGroup in that group, its claim and emptyDir owned through it', async () => {
    await waitFor('the local-path class', () => api.client.get(Resources.storageclasses, undefined, 'local-path').catch(() => undefined));
    const pvc = await api.client.create<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'fs-data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } },
    });
    // DefaultStorageClass admission named the class at creation.
    expect(pvc.spec?.storageClassName).toBe('local-path');
    const pod = await api.client.create<Pod>(Resources.pods, ns, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'fs-group' },
      spec: {
        terminationGracePeriodSeconds: 1,
        // Not root: writing into the volumes works only through the fsGroup's group permissions.
        securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [5000], fsGroupChangePolicy: 'OnRootMismatch' },
        containers: [
          {
            name: 'c',
            image: IMAGES.busybox,
            command: ['sh', '-c', 'id -G > /data/groups && id -u >> /data/groups && echo scratch > /scratch/f && echo done > /data/done; exec sleep 3600'],
            volumeMounts: [
              { name: 'data', mountPath: '/data' },
              { name: 'scratch', mountPath: '/scratch' },
            ],
          },
        ],
        volumes: [
          { name: 'data', persistentVolumeClaim: { claimName: 'fs-data' } },
          { name: 'scratch', emptyDir: {} },
        ],
      },
    });
    await waitFor('fs-group Ready', async () => isReady(await api.client.get<Pod>(Resources.pods, ns, 'fs-group')));
    const c = await api.client.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, 'fs-data');
    const pv = await api.client.get<PersistentVolume>(Resources.persistentvolumes, undefined, c.spec!.volumeName!);
    const dir = pv.spec!.local!.path;
    await waitFor('the container wrote into its volumes', () => fs.existsSync(path.join(dir, 'done')));
    // `id -G`: the primary group (runAsGroup), then the fsGroup and the supplemental groups; `id -u`: runAsUser.
    expect(fs.readFileSync(path.join(dir, 'groups'), 'utf8')).toBe('3000 2000 5000\n1000\n');
    const written = fs.statSync(path.join(dir, 'groups'));
    expect({ uid: written.uid, gid: written.gid }).toEqual({ uid: 1000, gid: 2000 });
    const root = fs.statSync(dir);
    expect(root.gid).toBe(2000);
    expect(root.mode & 0o2070).toBe(0o2070);
    const scratch = fs.statSync(path.join(podDir(stateDir, pod.metadata!.uid!), 'volumes', 'kubernetes.io~empty-dir', 'scratch', 'f'));
    expect({ uid: scratch.uid, gid: scratch.gid }).toEqual({ uid: 1000, gid: 2000 });
    await api.client.delete(Resources.pods, ns, 'fs-group');
    await api.client.delete(Resources.persistentvolumeclaims, ns, 'fs-data');
    await waitFor('fs-group gone', () => api.client.get(Resources.pods, ns, 'fs-group').then(() => false, () => true));
  });

  describe('Redis from manifests/redis-statefulset.yaml', () => {
    const redisPod = (name: string) => api.client.get<Pod>(Resources.pods, ns, name).catch(() => undefined);
    const redisPods = async () => (await api.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: 'app=redis' })).items.filter((p) => !p.metadata?.deletionTimestamp);
    async function redisCli(pod: string, ...args: string[]): Promise<string> {
      const p = await redisPod(pod);
      const cid = (p?.status?.containerStatuses?.[0]?.containerID || '').replace(/^containerd:\/\//, '');
      const r = await cri.execSync(cid, ['redis-cli', ...args], 10);
      if (r.exitCode !== 0) throw new Error(`redis-cli ${args.join(' ')} in ${pod}: exit ${r.exitCode} ${r.stderr.toString()}`);
      return r.stdout.toString().trim();
    }
    const readyRedis = (name: string, uidNot?: string) =>
      waitFor(`${name} Ready`, async () => {
        const p = await redisPod(name);
        return p && isReady(p) && p.metadata?.uid !== uidNot ? p : undefined;
      });

    it('keeps its keys across a replacement pod, on the same claim', async () => {
      const docs = yaml.loadAll(fs.readFileSync(path.resolve(__dirname, '../../manifests/redis-statefulset.yaml'), 'utf8')) as KubeObject[];
      for (const d of docs) {
        const r = d.kind === 'Service' ? Resources.services : Resources.statefulsets;
        await api.client.create(r, ns, { ...d, metadata: { ...d.metadata, namespace: ns } });
      }
      const first = await readyRedis('redis-0');
      expect(await redisCli('redis-0', 'SET', 'greeting', 'hello')).toBe('OK');
      expect(await redisCli('redis-0', 'RPUSH', 'rows', 'a', 'b', 'c')).toBe('3');
      const claimBefore = await api.client.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, 'data-redis-0');
      await api.client.delete(Resources.pods, ns, 'redis-0');
      const second = await readyRedis('redis-0', first.metadata?.uid);
      expect(second.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName).toBe('data-redis-0');
      expect(second.spec?.hostname).toBe('redis-0');
      expect(second.spec?.subdomain).toBe('redis');
      const claimAfter = await api.client.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, 'data-redis-0');
      expect(claimAfter.spec?.volumeName).toBe(claimBefore.spec?.volumeName);
      expect(await redisCli('redis-0', 'GET', 'greeting')).toBe('hello');
      expect(await redisCli('redis-0', 'LRANGE', 'rows', '0', '-1')).toBe('a\nb\nc');
    });

    it('scales 1→3 in order, each waiting for the previous to be Ready', async () => {
      await api.client.patch(Resources.statefulsets, ns, 'redis', { spec: { replicas: 3 } }, 'merge');
      await waitFor('3 Ready redis pods, never one before its predecessor is Ready', async () => {
        const ps = await redisPods();
        const ready = new Set(ps.filter(isReady).map((p) => p.metadata?.name));
        for (const p of ps) {
          const ord = Number(p.metadata!.name!.split('-')[1]);
          for (let lower = 0; lower < ord; lower++) if (!ready.has(`redis-${lower}`)) throw new Error(`redis-${ord} exists while redis-${lower} is not Ready`);
        }
        return ready.size === 3;
      });
      for (const n of ['redis-1', 'redis-2']) expect(await redisCli(n, 'PING')).toBe('PONG');
    });

    it('rolls an update out above the partition only, then the rest in reverse order', async () => {
      const revisionOf = async () => new Map((await redisPods()).map((p) => [p.metadata?.name ?? '', p.metadata?.labels?.['controller-revision-hash'] ?? '']));
      const before = await revisionOf();
      await api.client.patch(
        Resources.statefulsets,
        ns,
        'redis',
        { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } }, template: { spec: { containers: [{ name: 'redis', env: [{ name: 'REVISION', value: '2' }] }] } } } },
        'strategic',
      );
      const set = await waitFor('update revision', async () => {
        const s = await api.client.get<StatefulSet>(Resources.statefulsets, ns, 'redis');
        return s.status?.updateRevision && s.status.updateRevision !== s.status.currentRevision && s.status.observedGeneration === s.metadata?.generation ? s : undefined;
      });
      const update = set.status!.updateRevision!;
      await waitFor('redis-2 updated and Ready', async () => (await revisionOf()).get('redis-2') === update && !!(await redisPod('redis-2').then((p) => p && isReady(p))));
      await sleep(2000);
      const partial = await revisionOf();
      expect(partial.get('redis-0')).toBe(before.get('redis-0'));
      expect(partial.get('redis-1')).toBe(before.get('redis-1'));
      expect((await api.client.get<StatefulSet>(Resources.statefulsets, ns, 'redis')).status).toMatchObject({ updatedReplicas: 1, currentRevision: set.status?.currentRevision });

      await api.client.patch(Resources.statefulsets, ns, 'redis', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } }, 'strategic');
      const order: string[] = [];
      await waitFor('all updated', async () => {
        const revs = await revisionOf();
        for (const n of ['redis-1', 'redis-0']) if (revs.get(n) === update && !order.includes(n)) order.push(n);
        const s = await api.client.get<StatefulSet>(Resources.statefulsets, ns, 'redis');
        return s.status?.currentRevision === update && s.status?.updatedReplicas === 3 && s.status?.readyReplicas === 3;
      });
      expect(order).toEqual(['redis-1', 'redis-0']);
      // The data outlived the update too.
      expect(await redisCli('redis-0', 'GET', 'greeting')).toBe('hello');
    });

    it('scales 3→1 in reverse order', async () => {
      await api.client.patch(Resources.statefulsets, ns, 'redis', { spec: { replicas: 1 } }, 'merge');
      const gone: string[] = [];
      await waitFor('one redis pod left', async () => {
        const all = (await api.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: 'app=redis' })).items.map((p) => p.metadata?.name ?? '');
        for (const n of ['redis-2', 'redis-1']) if (!all.includes(n) && !gone.includes(n)) gone.push(n);
        return all.length === 1;
      });
      expect(gone).toEqual(['redis-2', 'redis-1']);
      // Claims are kept (retention Retain by default): scaling up again finds the same data.
      await api.client.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, 'data-redis-2');
    });

    it('leaves claims it cannot satisfy Pending, with an event saying why', async () => {
      const eventsFor = async (name: string) => (await api.client.list<Event>(Resources.events, { namespace: ns, fieldSelector: `involvedObject.name=${name}` })).items;
      await api.client.create(Resources.persistentvolumes, undefined, {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: 'small-static' },
        spec: { capacity: { storage: '100Mi' }, accessModes: ['ReadWriteOnce'], storageClassName: '', hostPath: { path: path.join(rt.stateDir, 'small-static') } },
      });
      const claimOf = (name: string, storage: string, storageClassName: string) => ({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage } } },
      });
      await api.client.create(Resources.persistentvolumeclaims, ns, claimOf('too-big', '10Gi', ''));
      await api.client.create(Resources.persistentvolumeclaims, ns, claimOf('no-class', '1Gi', 'no-such-class'));
      const big = await waitFor('too-big event', async () => (await eventsFor('too-big')).find((e) => e.reason === 'FailedBinding'));
      expect(big.message).toBe('no persistent volumes available for this claim and no storage class is set');
      const unknown = await waitFor('no-class event', async () => (await eventsFor('no-class')).find((e) => e.reason === 'ProvisioningFailed'));
      expect(unknown.type).toBe('Warning');
      expect(unknown.message).toBe('storageclass.storage.k8s.io "no-such-class" not found');
      await sleep(1000);
      for (const n of ['too-big', 'no-class']) expect((await api.client.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, ns, n)).status?.phase).toBe('Pending');
      expect((await api.client.get<PersistentVolume>(Resources.persistentvolumes, undefined, 'small-static')).status?.phase).toBe('Available');
    });
  });
});
