// One set of informers for the controller manager and the scheduler of one process (as `steer server`
// runs them): each kind is watched once, a Deployment still rolls out on hollow nodes, and a component
// that stops leaves the shared informers to the others.
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { registeredWatchers } from '../../apiserver/metrics';
import { Resources } from '../../lib/api/resources';
import { SharedInformerFactory } from '../../lib/client/shared-informers';
import { RunningControllers, startControllers } from '../../controllers/manager';
import { HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { RunningScheduler, startScheduler } from '../../scheduler/start';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { waitForWithin } from '../helpers/wait';

const waitFor = waitForWithin(40000);
const ns = 'default';

/** Watches the apiserver holds open on a kind. */
async function watchersOf(kind: string): Promise<number> {
  const { values } = await registeredWatchers.get();
  return values.filter((v) => v.labels.kind === kind).reduce((sum, v) => sum + v.value, 0);
}

const isReady = (p: Pod) => !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

describe('controllers and scheduler on one set of shared informers', () => {
  let srv: TestApiServer;
  let nodes: HollowNodes;
  let informers: SharedInformerFactory;
  let controllers: RunningControllers;
  let scheduler: RunningScheduler | undefined;

  beforeAll(async () => {
    srv = await startTestApiServer();
    nodes = await startHollowNodes({ client: srv.client, count: 2, namePrefix: 'shared-node-', port: false, leaseRenewIntervalMs: 2000, log: () => undefined });
  });

  afterAll(async () => {
    await scheduler?.stop();
    await controllers?.stop();
    informers?.stop();
    await nodes.stop();
    await srv.stop();
  });

  test('refused with leader election, whose terms each start on fresh informers', async () => {
    await expect(startControllers({ client: srv.client, informers: new SharedInformerFactory(srv.client), leaderElect: true, log: () => undefined })).rejects.toThrow(/leader election/);
  });

  test('each kind is watched once for both components, and a Deployment rolls out', async () => {
    const podWatchersBefore = await watchersOf('Pod');
    const nodeWatchersBefore = await watchersOf('Node');
    informers = new SharedInformerFactory(srv.client);
    controllers = await startControllers({ client: srv.client, informers, controllers: ['deployment', 'replicaset'], log: () => undefined });
    scheduler = await startScheduler({ client: srv.client, informers });
    await waitFor('the shared pod and node watches', async () => ((await watchersOf('Pod')) === podWatchersBefore + 1 && (await watchersOf('Node')) === nodeWatchersBefore + 1 ? true : undefined));

    await srv.client.create<Deployment>(Resources.deployments, ns, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'shared', namespace: ns },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'shared' } },
        template: { metadata: { labels: { app: 'shared' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      },
    });
    await waitFor('3 pods bound and Ready', async () => {
      const pods = (await srv.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: 'app=shared' })).items;
      return pods.length === 3 && pods.every((p) => p.spec?.nodeName && isReady(p)) ? true : undefined;
    });
    // Still one pod watch after the pods' events went through it.
    expect(await watchersOf('Pod')).toBe(podWatchersBefore + 1);
  });

  test('a stopped scheduler leaves the shared informers running for the controllers', async () => {
    await scheduler!.stop();
    scheduler = undefined;
    expect(informers.informerFor<Pod>(Resources.pods).hasSynced()).toBe(true);
    // The ReplicaSet controller replaces a deleted pod: it hears of the delete through the shared pod
    // informer the scheduler used (the replacement stays Pending: no scheduler runs now).
    const pods = (await srv.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: 'app=shared' })).items;
    const victim = pods[0]!.metadata!.name!;
    await srv.client.delete(Resources.pods, ns, victim, { gracePeriodSeconds: 0 });
    await waitFor('a replacement pod', async () => {
      const now = (await srv.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: 'app=shared' })).items.filter((p) => !p.metadata?.deletionTimestamp);
      return now.length === 3 && now.some((p) => !p.spec?.nodeName) ? true : undefined;
    });
    expect(await watchersOf('Pod')).toBeGreaterThan(0);
  });
});
