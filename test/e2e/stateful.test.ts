// End to end on real containerd: apiserver, scheduler (VolumeBinding), the StatefulSet, binder,
// protection and local-path provisioner controllers, and one node agent on a runtime of its own. A
// StatefulSet's pod appends a row to a file-backed store on its claim; the pod is deleted and
// `kv-0` comes back with the same claim and sees the row; a claim deleted while its pod runs stays
// until the pod goes; the released volume (reclaim Delete) is deleted and its directory removed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { RunningControllers, startControllers } from '../../controllers/manager';
import { CriRuntime } from '../../node-agent/runtime/cri/cri-runtime';
import { IMAGES } from '../../node-agent/runtime-setup';
import { RunningNodeAgent, startNodeAgent } from '../../node-agent/start';
import { startScheduler } from '../../scheduler/start';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { sleep, waitForWithin } from '../helpers/wait';
import { startTestRuntime, TestRuntime } from './helpers/runtime';

const waitFor = waitForWithin(90_000);
jest.setTimeout(300_000);
const ns = 'default';
const isReady = (p: Pod) => !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

describe('StatefulSets with local-path claims on real containerd', () => {
  let rt: TestRuntime;
  let api: TestApiServer;
  let cri: CriRuntime;
  let agent: RunningNodeAgent | undefined;
  let scheduler: { stop(): Promise<void> } | undefined;
  let controllers: RunningControllers | undefined;
  let stateDir: string;

  beforeAll(async () => {
    rt = await startTestRuntime('stateful');
    api = await startTestApiServer();
    cri = new CriRuntime(rt.criSocket);
    stateDir = path.join(rt.stateDir, 'agent');
    agent = await startNodeAgent({
      client: api.client,
      nodeName: 'e2e-stateful-node',
      runtime: cri,
      stateDir,
      logRoot: rt.podLogDir,
      cgroupRoot: rt.cgroupRoot,
      address: '127.0.0.1',
      port: 0,
      relistIntervalMs: 200,
      localPathSweepIntervalMs: 500,
      log: (m) => console.error(m),
    });
    scheduler = await startScheduler({ client: api.client });
    controllers = await startControllers({
      client: api.client,
      controllers: ['statefulset', 'persistentvolume-binder', 'persistentvolume-protection', 'local-path-provisioner', 'garbage-collector'],
      log: () => undefined,
    });
  });

  afterAll(async () => {
    await controllers?.stop();
    await scheduler?.stop();
    await agent?.stop();
    cri?.close();
    await api?.stop();
    await rt?.stop();
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
});
