// Memory flat under churn (issue 20): a Deployment on a hollow node scaled 10 → 0 → 10 a few times and
// then to 0. Everything the node agent keeps per pod or container (pod map, start-latency records,
// PLEG pods and expected exits, work-queue keys, action records, crash back-off, probe workers, what its event
// recorder keeps per pod) and the scheduler's pod
// cache must shrink back to nothing once the pods are gone; with pods running they hold exactly them.
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { startControllers, RunningControllers } from '../../controllers';
import { HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { RunningScheduler, startScheduler } from '../../scheduler';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { waitForWithin } from '../helpers/wait';

const waitFor = waitForWithin(60_000);
jest.setTimeout(120_000);

describe('churn on a hollow node', () => {
  let api: TestApiServer;
  let hollow: HollowNodes;
  let scheduler: RunningScheduler;
  let controllers: RunningControllers;

  beforeAll(async () => {
    api = await startTestApiServer();
    hollow = await startHollowNodes({ client: api.client, count: 1, namePrefix: 'churn-', port: false, relistIntervalMs: 200, log: () => undefined });
    scheduler = await startScheduler({ client: api.client });
    controllers = await startControllers({ client: api.client, log: () => undefined });
  });

  afterAll(async () => {
    await controllers?.stop();
    await scheduler?.stop();
    await hollow?.stop();
    await api?.stop();
  });

  const pods = async () => (await api.client.list<Pod>(Resources.pods, { namespace: 'default', labelSelector: 'app=churn' })).items;
  const readyCount = async () => (await pods()).filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
  const scale = (n: number) => api.client.patch(Resources.deployments, 'default', 'churn', { spec: { replicas: n } }, 'merge', 'scale');

  test("the agent's and the scheduler's per-pod records hold the live pods only, and empty out when they are gone", async () => {
    const d: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'churn', namespace: 'default' },
      spec: {
        replicas: 10,
        selector: { matchLabels: { app: 'churn' } },
        template: {
          metadata: { labels: { app: 'churn' } },
          spec: { containers: [{ name: 'c', image: 'nginx:1.22', readinessProbe: { httpGet: { port: 80, path: '/' }, periodSeconds: 1 } }] },
        },
      },
    };
    await api.client.create(Resources.deployments, 'default', d);
    const agent = hollow.agents[0];
    for (let cycle = 0; cycle < 3; cycle++) {
      await waitFor('10 Ready', async () => (await readyCount()) === 10);
      await waitFor('the agent tracks exactly the 10 pods', async () => agent.bookkeeping().pods === 10 && agent.bookkeeping().probeWorkers === 10);
      expect(agent.bookkeeping()).toMatchObject({ pods: 10, plegPods: 10, startRecorded: 10 });
      expect(scheduler.scheduler.cache.podCount).toBe(10);
      await scale(0);
      await waitFor('all gone', async () => (await pods()).length === 0);
      if (cycle < 2) await scale(10);
    }
    await waitFor('every per-pod record empty', async () => Object.values(agent.bookkeeping()).every((n) => n === 0)).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(agent.bookkeeping())}`);
    });
    expect(agent.bookkeeping()).toEqual({ pods: 0, firstSeen: 0, deletedFromApi: 0, startRecorded: 0, plegPods: 0, queue: 0, lastActionAt: 0, startBlocks: 0, volumesSetUpAt: 0, mountFailed: 0, removalDeferredAt: 0, crashBackoff: 0, expectedExits: 0, probeWorkers: 0, eventsSeen: 0, eventsSimilar: 0 });
    expect(scheduler.scheduler.cache.podCount).toBe(0);
  });
});
