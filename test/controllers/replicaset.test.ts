// The controller manager (ReplicaSet, garbage collector, node lifecycle) against a real in-process
// apiserver, the real scheduler and hollow (fake-runtime) nodes.
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { isNotFound } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { startControllers, RunningControllers } from '../../controllers/manager';
import { UnreachableTaintKey } from '../../controllers/node-lifecycle';
import { startScheduler } from '../../scheduler/start';
import { HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { sleep, waitFor } from '../helpers/wait';

const ns = 'default';


function replicaSet(name: string, replicas: number): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } },
    },
  };
}

let api: TestApiServer;
let nodes: HollowNodes;
let scheduler: { stop(): Promise<void> };
let controllers: RunningControllers;

async function podsOf(name: string): Promise<Pod[]> {
  const list = await api.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: `app=${name}` });
  return list.items;
}
const live = (ps: Pod[]) => ps.filter((p) => !p.metadata?.deletionTimestamp);

async function waitReady(name: string, n: number, timeoutMs = 30_000): Promise<ReplicaSet> {
  return waitFor(
    `${name} to have ${n} ready`,
    async () => {
      const rs = await api.client.get<ReplicaSet>(Resources.replicasets, ns, name);
      const pods = live(await podsOf(name));
      const ok = rs.status?.replicas === n && (rs.status?.readyReplicas ?? 0) === n && rs.status?.observedGeneration === rs.metadata?.generation && pods.length === n;
      return ok && rs;
    },
    timeoutMs,
  );
}

async function scale(name: string, n: number): Promise<void> {
  await api.client.patch(Resources.replicasets, ns, name, { spec: { replicas: n } }, 'merge');
}

beforeAll(async () => {
  api = await startTestApiServer();
  nodes = await startHollowNodes({ client: api.client, count: 3, namePrefix: 'rs-node-', leaseRenewIntervalMs: 500, nodeStatusReportIntervalMs: 1000, relistIntervalMs: 300, port: false });
  scheduler = await startScheduler({ client: api.client });
  controllers = await startControllers({
    client: api.client,
    controllers: ['replicaset', 'garbage-collector', 'node-lifecycle'],
    nodeLifecycle: { nodeMonitorGracePeriodSeconds: 3, nodeMonitorPeriodMs: 250 },
    log: () => undefined,
  });
}, 60_000);

afterAll(async () => {
  await controllers?.stop();
  await scheduler?.stop();
  await nodes?.stop();
  await api?.stop();
});

describe('ReplicaSet controller', () => {
  it('scales 1 → 3 → 10 → 0 with owned, ready pods named after the ReplicaSet', async () => {
    await api.client.create(Resources.replicasets, ns, replicaSet('web', 1));
    const rs = await waitReady('web', 1);
    for (const n of [3, 10, 0]) {
      await scale('web', n);
      await waitReady('web', n);
    }
    await scale('web', 2);
    await waitReady('web', 2);
    for (const p of await podsOf('web')) {
      expect(p.metadata?.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(p.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    }
  });

  it('replaces a deleted pod', async () => {
    const before = live(await podsOf('web'));
    const victim = before[0].metadata!.name!;
    await api.client.delete(Resources.pods, ns, victim);
    await waitFor('a replacement', async () => {
      const pods = live(await podsOf('web'));
      return pods.length === 2 && !pods.some((p) => p.metadata?.name === victim) && pods;
    });
    await waitReady('web', 2);
  });

  it('adopts a matching orphan and releases a pod that stops matching', async () => {
    await api.client.create(Resources.replicasets, ns, replicaSet('adopt', 0));
    const rs = await waitReady('adopt', 0);
    await api.client.create<Pod>(Resources.pods, ns, { metadata: { name: 'orphan', labels: { app: 'adopt' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    await scale('adopt', 1);
    await waitFor('adoption', async () => {
      const p = await api.client.get<Pod>(Resources.pods, ns, 'orphan');
      return p.metadata?.ownerReferences?.[0]?.uid === rs.metadata?.uid;
    });
    await waitReady('adopt', 1);
    const [kept] = live(await podsOf('adopt'));
    const keptName = kept.metadata!.name!;
    await api.client.patch(Resources.pods, ns, keptName, { metadata: { labels: { app: 'other' } } }, 'merge');
    await waitFor('release', async () => {
      const p = await api.client.get<Pod>(Resources.pods, ns, keptName);
      return !p.metadata?.ownerReferences?.length;
    });
    await waitReady('adopt', 1); // a new pod replaces the released one
  });
});

describe('garbage collector', () => {
  it('background: deleting a ReplicaSet removes its pods', async () => {
    await api.client.create(Resources.replicasets, ns, replicaSet('bg', 3));
    await waitReady('bg', 3);
    await api.client.delete(Resources.replicasets, ns, 'bg');
    await waitFor('pods gone', async () => (await podsOf('bg')).length === 0);
  });

  it('foreground: the ReplicaSet stays until its pods are gone', async () => {
    await api.client.create(Resources.replicasets, ns, replicaSet('fg', 2));
    await waitReady('fg', 2);
    await api.client.delete(Resources.replicasets, ns, 'fg', { propagationPolicy: 'Foreground' });
    const marked = await api.client.get<ReplicaSet>(Resources.replicasets, ns, 'fg');
    expect(marked.metadata?.finalizers).toContain('foregroundDeletion');
    await waitFor('pods gone, then the ReplicaSet', async () => {
      try {
        await api.client.get(Resources.replicasets, ns, 'fg');
        return false;
      } catch (err) {
        return isNotFound(err) && (await podsOf('fg')).length === 0;
      }
    });
  });

  it('orphan: pods stay, without the ownerReference', async () => {
    await api.client.create(Resources.replicasets, ns, replicaSet('orph', 2));
    await waitReady('orph', 2);
    await api.client.delete(Resources.replicasets, ns, 'orph', { propagationPolicy: 'Orphan' });
    await waitFor('ReplicaSet gone', async () => {
      try {
        await api.client.get(Resources.replicasets, ns, 'orph');
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    });
    const pods = await podsOf('orph');
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.metadata?.ownerReferences ?? []).toEqual([]);
  });

  it('deletes dependents whose owner vanished while no collector ran', async () => {
    // A pod pointing at an owner that never existed (as after a crash mid-cascade).
    await api.client.create<Pod>(Resources.pods, ns, {
      metadata: { name: 'dangling', labels: { app: 'none' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'ghost', uid: 'no-such-uid', controller: true }] },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    });
    await waitFor('dangling pod deleted', async () => {
      try {
        const p = await api.client.get<Pod>(Resources.pods, ns, 'dangling');
        return !!p.metadata?.deletionTimestamp;
      } catch (err) {
        return isNotFound(err);
      }
    });
  });
});

describe('node lifecycle', () => {
  it('a node whose heartbeat stops is tainted, its pods replaced elsewhere; it recovers when the heartbeat resumes', async () => {
    await api.client.create(Resources.replicasets, ns, replicaSet('spread', 6));
    await waitReady('spread', 6);
    const pods = live(await podsOf('spread'));
    const victimNode = pods[0].spec!.nodeName!;
    const onVictim = pods.filter((p) => p.spec?.nodeName === victimNode).map((p) => p.metadata!.name!);
    const t0 = Date.now();
    nodes.stopNode(victimNode);
    const node = await waitFor('taint', async () => {
      const n = await api.client.get<Node>(Resources.nodes, undefined, victimNode);
      return (n.spec?.taints || []).some((t) => t.key === UnreachableTaintKey && t.effect === 'NoExecute') && n;
    });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('Unknown');
    await waitFor('pods recreated on other nodes', async () => {
      const now = live(await podsOf('spread'));
      const ready = now.filter((p) => p.spec?.nodeName && p.spec.nodeName !== victimNode && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 6 && !now.some((p) => onVictim.includes(p.metadata!.name!));
    });
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThan(10_000);
    await nodes.resumeNode(victimNode);
    await waitFor('taint removed, Ready again', async () => {
      const n = await api.client.get<Node>(Resources.nodes, undefined, victimNode);
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      return !(n.spec?.taints || []).some((t) => t.key === UnreachableTaintKey) && ready?.status === 'True';
    });
  }, 60_000);
});

describe('metrics endpoint', () => {
  it('serves workqueue, reconcile, convergence and kube-state metrics', async () => {
    const m = await startControllers({ client: api.client, controllers: ['replicaset'], metricsListen: { host: '127.0.0.1', port: 0 }, log: () => undefined });
    try {
      await waitFor('ReplicaSet convergence observed', async () => {
        const text = await (await fetch(`http://127.0.0.1:${m.metricsPort}/metrics`)).text();
        return text.includes('steer_convergence_seconds_count{kind="ReplicaSet"}') && text;
      });
      const text = await (await fetch(`http://127.0.0.1:${m.metricsPort}/metrics`)).text();
      expect(text).toMatch(/workqueue_adds_total\{name="replicaset"\} \d+/);
      expect(text).toMatch(/controller_runtime_reconcile_total\{controller="replicaset",result="success"\} \d+/);
      expect(text).toMatch(/kube_node_status_condition\{node="rs-node-1",condition="Ready",status="true"\} 1/);
      expect(text).toMatch(/kube_pod_status_phase\{namespace="default",pod="spread-[a-z0-9]{5}",uid="[^"]+",phase="Running"\} 1/);
    } finally {
      await m.stop();
    }
  });
});

describe('leader election', () => {
  it('two managers: only one acts; the other takes over within the lease duration', async () => {
    const common = {
      client: api.client,
      leaderElect: true,
      leaseName: 'test-cm',
      leaseDurationSeconds: 2,
      renewDeadlineSeconds: 1.5,
      retryPeriodSeconds: 0.25,
      controllers: ['replicaset' as const],
      log: () => undefined,
    };
    const a = await startControllers({ ...common, identity: 'cm-a' });
    await waitFor('a leads', () => a.isLeader());
    const b = await startControllers({ ...common, identity: 'cm-b' });
    await sleep(1000);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    // a dies without releasing the Lease.
    const t0 = Date.now();
    await a.stop({ releaseLease: false });
    await waitFor('b leads', () => b.isLeader(), 10_000);
    const took = Date.now() - t0;
    expect(took).toBeLessThan(2000 + 1000); // the lease duration plus one retry period and start-up
    await b.stop();
  }, 30_000);
});
