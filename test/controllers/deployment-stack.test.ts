// The Deployment controller in the whole stack: in-process apiserver, the real ReplicaSet controller,
// the scheduler and hollow (fake-runtime) node agents that run pods to Running and Ready.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import type { ControllerContext } from '../../lib/client/controller';
import { EventRecorder } from '../../lib/client/events';
import { Informer } from '../../lib/client/informer';
import { Resources } from '../../lib/api/resources';
import { SharedInformerFactory } from '../../lib/client/shared-informers';
import { DeploymentController } from '../../controllers/deployment/controller';
import { ReplicaSetController } from '../../controllers/replicaset';
import { HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { RunningScheduler, startScheduler } from '../../scheduler/start';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { sleep, waitForWithin } from '../helpers/wait';

const waitFor = waitForWithin(40000);

const ns = 'default';


const isReady = (p: Pod) => !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

describe('Deployment on the whole stack (ReplicaSet controller, scheduler, hollow nodes)', () => {
  let srv: TestApiServer;
  let informers: SharedInformerFactory;
  let recorder: EventRecorder;
  let deployments: DeploymentController;
  let replicaSets: ReplicaSetController;
  let scheduler: RunningScheduler;
  let nodes: HollowNodes;

  beforeAll(async () => {
    srv = await startTestApiServer();
    nodes = await startHollowNodes({ client: srv.client, count: 3, namePrefix: 'stack-node-', port: false, leaseRenewIntervalMs: 2000, log: () => undefined });
    scheduler = await startScheduler({ client: srv.client });
    informers = new SharedInformerFactory(srv.client);
    recorder = new EventRecorder(srv.client, { component: 'controller-manager' });
    const ctx: ControllerContext = { client: srv.client, informers, recorder };
    deployments = new DeploymentController(ctx, { workers: 2 });
    replicaSets = new ReplicaSetController(ctx, { workers: 2 });
    await Promise.all([deployments.start(), replicaSets.start()]);
  });

  afterAll(async () => {
    deployments.stop();
    replicaSets.stop();
    informers.stop();
    await recorder.flush();
    await scheduler.stop();
    await nodes.stop();
    await srv.stop();
  });

  const get = () => srv.client.get<Deployment>(Resources.deployments, ns, 'web');
  const livePods = async () => (await srv.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: 'app=web' })).items.filter((p) => !p.metadata?.deletionTimestamp);

  async function rolledOut(replicas: number, image: string): Promise<Deployment> {
    return waitFor(`web rolled out at ${replicas} × ${image}`, async () => {
      const d = await get();
      const st = d.status ?? {};
      const pods = await livePods();
      const ok =
        (st.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
        (st.updatedReplicas ?? 0) === replicas &&
        (st.replicas ?? 0) === replicas &&
        (st.availableReplicas ?? 0) === replicas &&
        pods.length === replicas &&
        pods.every((p) => isReady(p) && p.spec!.containers[0].image === image);
      return ok ? d : undefined;
    });
  }

  test('1 → 3 → 10 → 0, then a rolling update that never has fewer than replicas ready pods', async () => {
    await srv.client.create<Deployment>(Resources.deployments, ns, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } },
      },
    });
    await rolledOut(1, 'nginx:1');
    for (const n of [3, 10, 0, 4]) {
      await srv.client.patch(Resources.deployments, ns, 'web', { spec: { replicas: n } }, 'merge', 'scale');
      await rolledOut(n, 'nginx:1');
    }
    const spread = new Set((await livePods()).map((p) => p.spec!.nodeName));
    expect(spread.size).toBeGreaterThan(1); // the scheduler spread them over the hollow nodes

    const podInformer = new Informer<Pod>(srv.client, Resources.pods, { namespace: ns, labelSelector: 'app=web' });
    let minReady = Number.POSITIVE_INFINITY;
    const check = () => {
      minReady = Math.min(minReady, podInformer.list().filter(isReady).length);
    };
    podInformer.onAdd(check);
    podInformer.onUpdate(check);
    podInformer.onDelete(check);
    await podInformer.start();
    check();
    let d: Deployment;
    try {
      await srv.client.patch(Resources.deployments, ns, 'web', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } }, 'strategic');
      d = await rolledOut(4, 'nginx:2');
    } finally {
      podInformer.stop();
    }
    expect(minReady).toBeGreaterThanOrEqual(4);
    const rss = (await srv.client.list<ReplicaSet>(Resources.replicasets, { namespace: ns })).items.filter((rs) => rs.metadata?.ownerReferences?.some((r) => r.uid === d.metadata?.uid));
    const sizes = rss.map((rs) => [rs.spec!.template!.spec!.containers[0].image, rs.spec!.replicas]).sort();
    expect(sizes).toEqual([
      ['nginx:1', 0],
      ['nginx:2', 4],
    ]);
    expect(d.status!.conditions!.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
  });
});
