// A pod with a fresh local-path claim to Running on real containerd, next to the floor measured in the
// same run: the same pod with an emptyDir (goal: claim ≤ 1.2× emptyDir). The claim's path is the whole
// chain — scheduler VolumeBinding (pre-bind writes the selected node), binder, local-path provisioner,
// binder again, then the node agent mounting the directory. Rounds alternate the two kinds so machine
// load hits both alike; medians are printed.
// Usage (one real-containerd run at a time): flock /tmp/steer-e2e.lock node dist/bench/pvc-start.js [--rounds 8]
import type { Pod } from 'kubernetes-types/core/v1';
import { startApiServer } from '../apiserver';
import { startControllers } from '../controllers';
import { KubeClient } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import { CriRuntime, IMAGES, teardownRuntime } from '../node-agent';
import { ensureBenchRuntime } from './bench-cluster';
import { startCriBenchAgent } from './cri-agent';
import { startScheduler } from '../scheduler';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const rounds = Number(arg('rounds', '8'));
const stateDir = arg('state-dir', '/var/lib/steer-bench/pvc-start');
const ns = 'default';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const info = await ensureBenchRuntime({ stateDir, bridge: 'steerbench3', podSubnet: '10.211.0.0/24' });
  const cri = new CriRuntime(info.criSocket);
  // DefaultStorageClass admission as `steer server` runs it: the claim is created with the default class.
  const api = await startApiServer({ host: '127.0.0.1', port: 0, enableAdmissionPlugins: ['DefaultStorageClass'] });
  const client = KubeClient.forServer(api.url);
  const agent = await startCriBenchAgent(client, cri, info, stateDir, 'bench-pvc-node');
  const scheduler = await startScheduler({ client });
  const controllers = await startControllers({ client, controllers: ['persistentvolume-binder', 'persistentvolume-protection', 'local-path-provisioner'], log: () => undefined });
  const pod = (name: string, withClaim: boolean): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'c', image: IMAGES.busybox, command: ['sleep', '3600'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      volumes: [withClaim ? { name: 'data', persistentVolumeClaim: { claimName: name } } : { name: 'data', emptyDir: {} }],
    },
  });
  async function toRunning(name: string, withClaim: boolean): Promise<number> {
    const start = performance.now();
    if (withClaim) {
      await client.create(Resources.persistentvolumeclaims, ns, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } } });
    }
    await client.create(Resources.pods, ns, pod(name, withClaim));
    for (;;) {
      const p = await client.get<Pod>(Resources.pods, ns, name);
      if (p.status?.phase === 'Running') return (performance.now() - start) / 1000;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  const empty: number[] = [];
  const claimed: number[] = [];
  try {
    // One unmeasured pod of each kind first: image pull, the class's creation, caches.
    await toRunning('warm-empty', false);
    await toRunning('warm-claim', true);
    for (let i = 0; i < rounds; i++) {
      empty.push(await toRunning(`empty-${i}`, false));
      claimed.push(await toRunning(`claim-${i}`, true));
    }
    const e = median(empty);
    const c = median(claimed);
    console.log(`Pod to Running on real containerd, median of ${rounds} each (alternating)`);
    console.log(`  emptyDir (floor)          ${e.toFixed(3)} s`);
    console.log(`  fresh local-path claim    ${c.toFixed(3)} s   ${(c / e).toFixed(2)}× (goal ≤ 1.2×)`);
  } finally {
    await controllers.stop();
    await scheduler.stop();
    await agent.stop();
    cri.close();
    await api.close();
    await teardownRuntime(info.stateDir);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
