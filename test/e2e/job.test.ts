// End to end on real containerd: apiserver, scheduler, the Job controller (+ garbage collector) and one
// node agent on a runtime of its own. A busybox Job of 3 completions, parallelism 2 runs to Complete
// (never more than 2 pods at once, each pod Succeeded with exit code 0); an Indexed Job's pods see
// JOB_COMPLETION_INDEX; a Job whose container exits 1 with backoffLimit 0 ends Failed
// (BackoffLimitExceeded) with its pod Failed; deleting the Jobs removes their pods and containers.
import type { Job } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import type { CriRuntime } from '../../node-agent/runtime/cri/cri-runtime';
import { IMAGES } from '../../node-agent/runtime-setup';
import { LABEL_POD_UID } from '../../node-agent/labels';
import type { TestApiServer } from '../helpers/apiserver';
import { waitForWithin } from '../helpers/wait';
import { SingleNodeCluster, startSingleNodeCluster } from './helpers/cluster';

const waitFor = waitForWithin(90_000);
jest.setTimeout(300_000);

const ns = 'default';

function job(name: string, spec: Partial<NonNullable<Job['spec']>>, command: string): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: {
      ...spec,
      template: {
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'work', image: IMAGES.busybox, command: ['sh', '-c', command] }],
        },
      },
    },
  };
}

describe('Jobs on real containerd', () => {
  let cluster: SingleNodeCluster | undefined;
  let api: TestApiServer;
  let cri: CriRuntime;
  const nodeName = 'e2e-job-node';

  beforeAll(async () => {
    cluster = await startSingleNodeCluster({
      name: 'job',
      nodeName,
      agent: { relistIntervalMs: 200 },
      scheduler: true,
      controllers: ['job', 'garbage-collector'],
    });
    ({ api, cri } = cluster);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  const podsOf = async (name: string) => (await api.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: `job-name=${name}` })).items;
  const getJob = (name: string) => api.client.get<Job>(Resources.jobs, ns, name);
  const trueCondition = (j: Job, type: string) => j.status?.conditions?.find((c) => c.type === type && c.status === 'True');

  test('3 completions, parallelism 2: busybox pods run to Complete, at most 2 at a time', async () => {
    const started = Date.now();
    await api.client.create(Resources.jobs, ns, job('count', { completions: 3, parallelism: 2 }, 'echo working; sleep 2'));
    let maxActive = 0;
    const done = await waitFor('count Complete', async () => {
      const active = (await podsOf('count')).filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
      maxActive = Math.max(maxActive, active.length);
      const j = await getJob('count');
      return trueCondition(j, 'Complete') && j;
    });
    console.error(`job count: Complete in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(maxActive).toBeLessThanOrEqual(2);
    expect(done.status).toMatchObject({ succeeded: 3, active: 0 });
    expect(done.status?.failed ?? 0).toBe(0);
    expect(done.status?.completionTime).toBeTruthy();
    const pods = await podsOf('count');
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.status?.phase).toBe('Succeeded');
      expect(p.status?.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
      expect(p.spec?.nodeName).toBe(nodeName);
    }
    const log = await api.client.request<string>('GET', `/api/v1/namespaces/${ns}/pods/${pods[0].metadata?.name}/log`, { accept: 'text/plain' });
    expect(String(log)).toContain('working');
  });

  test('Indexed: each pod gets its JOB_COMPLETION_INDEX', async () => {
    await api.client.create(Resources.jobs, ns, job('idx', { completionMode: 'Indexed', completions: 2, parallelism: 2 }, 'echo "index=$JOB_COMPLETION_INDEX"'));
    const j = await waitFor('idx Complete', async () => {
      const cur = await getJob('idx');
      return trueCondition(cur, 'Complete') && cur;
    });
    expect(j.status?.completedIndexes).toBe('0,1');
    const logs: string[] = [];
    for (const p of await podsOf('idx')) {
      logs.push(String(await api.client.request<string>('GET', `/api/v1/namespaces/${ns}/pods/${p.metadata?.name}/log`, { accept: 'text/plain' })).trim());
    }
    expect(logs.sort()).toEqual(['index=0', 'index=1']);
  });

  test('exit 1 with backoffLimit 0: pod Failed, Job Failed with BackoffLimitExceeded', async () => {
    await api.client.create(Resources.jobs, ns, job('fails', { backoffLimit: 0 }, 'exit 1'));
    const j = await waitFor('fails Failed', async () => {
      const cur = await getJob('fails');
      return trueCondition(cur, 'Failed') && cur;
    });
    expect(trueCondition(j, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    const pods = await podsOf('fails');
    expect(pods).toHaveLength(1);
    expect(pods[0].status?.phase).toBe('Failed');
    expect(pods[0].status?.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    // restartPolicy Never: the container was not started again.
    const containers = (await cri.listContainers()).filter((c) => c.labels[LABEL_POD_UID] === pods[0].metadata?.uid);
    expect(containers).toHaveLength(1);
  });

  test('deleting the Jobs removes their pods and containers', async () => {
    for (const name of ['count', 'idx', 'fails']) await api.client.delete(Resources.jobs, ns, name, { propagationPolicy: 'Background' });
    await waitFor('job pods gone', async () => (await api.client.list<Pod>(Resources.pods, { namespace: ns })).items.length === 0);
    await waitFor('containers removed', async () => (await cri.listContainers()).length === 0);
  });
});
