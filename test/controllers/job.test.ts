// The Job controller against a real in-process apiserver, the real scheduler and hollow (fake-runtime)
// nodes whose containers the test makes exit 0 or 1: completions and parallelism, backoffLimit,
// activeDeadlineSeconds, Indexed mode, suspend/resume, ttlSecondsAfterFinished, and the garbage collector
// removing a deleted Job's pods. The node agents turn exited containers into Succeeded/Failed pods.
import type { Job } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { isNotFound } from '../../lib/client/client';
import type { ControllerContext } from '../../lib/client/controller';
import { EventRecorder } from '../../lib/client/events';
import { Resources } from '../../lib/api/resources';
import { SharedInformerFactory } from '../../lib/client/shared-informers';
import { CompletionIndexAnnotation, IndexFailureCountAnnotation, JobController } from '../../controllers/job';
import { RunningControllers, startControllers } from '../../controllers/manager';
import { LABEL_POD_UID } from '../../node-agent/labels';
import { HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { startScheduler } from '../../scheduler/start';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { sleep, waitFor } from '../helpers/wait';

const ns = 'default';
let api: TestApiServer;
let nodes: HollowNodes;
let scheduler: { stop(): Promise<void> };
let gc: RunningControllers;
let jobs: JobController;
let informers: SharedInformerFactory;
let recorder: EventRecorder;

beforeAll(async () => {
  api = await startTestApiServer();
  nodes = await startHollowNodes({ client: api.client, count: 2, namePrefix: 'job-node-', relistIntervalMs: 200, port: false });
  scheduler = await startScheduler({ client: api.client });
  gc = await startControllers({ client: api.client, controllers: ['garbage-collector'], log: () => undefined });
  // The Job controller on its own, with a short pod failure back-off so failure tests stay quick.
  informers = new SharedInformerFactory(api.client);
  recorder = new EventRecorder(api.client, { component: 'job-controller' });
  const ctx: ControllerContext = { client: api.client, informers, recorder };
  jobs = new JobController(ctx, { backoffBaseMs: 200, backoffMaxMs: 1000 });
  await jobs.start();
}, 60_000);

afterAll(async () => {
  jobs?.stop();
  await jobs?.stopped();
  informers?.stop();
  await recorder?.flush();
  await gc?.stop();
  await scheduler?.stop();
  await nodes?.stop();
  await api?.stop();
});

function job(name: string, spec: Partial<NonNullable<Job['spec']>> = {}, restartPolicy = 'Never'): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: { template: { spec: { restartPolicy, containers: [{ name: 'work', image: 'busybox:1.35' }] } }, ...spec },
  };
}

async function podsOf(name: string): Promise<Pod[]> {
  return (await api.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: `job-name=${name}` })).items;
}
const isActive = (p: Pod) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

/** The id of the pod's running container in its hollow node's fake runtime, once it runs. */
async function runningContainer(p: Pod): Promise<{ runtime: NonNullable<ReturnType<HollowNodes['runtimes']['get']>>; id: string } | undefined> {
  const current = await api.client.get<Pod>(Resources.pods, ns, p.metadata?.name ?? '');
  const runtime = current.spec?.nodeName ? nodes.runtimes.get(current.spec.nodeName) : undefined;
  if (!runtime) return undefined;
  const c = (await runtime.listContainers()).find((x) => x.labels[LABEL_POD_UID] === current.metadata?.uid && x.state === 'CONTAINER_RUNNING');
  return c && { runtime, id: c.id };
}

/** Makes the pod's container exit with the code and waits until the pod shows the terminal phase. */
async function finish(p: Pod, exitCode: number): Promise<void> {
  const name = p.metadata?.name ?? '';
  const c = await waitFor(`${name} running`, () => runningContainer(p));
  c.runtime.crash(c.id, exitCode);
  const phase = exitCode === 0 ? 'Succeeded' : 'Failed';
  await waitFor(`${name} ${phase}`, async () => (await api.client.get<Pod>(Resources.pods, ns, name)).status?.phase === phase);
}

async function getJob(name: string): Promise<Job> {
  return api.client.get<Job>(Resources.jobs, ns, name);
}

const condition = (j: Job, type: string) => j.status?.conditions?.find((c) => c.type === type && c.status === 'True');

describe('Job controller with hollow nodes', () => {
  it('completions 3, parallelism 2: never more than 2 running, Complete after 3 successes', async () => {
    await api.client.create(Resources.jobs, ns, job('three', { completions: 3, parallelism: 2 }));
    let maxActive = 0;
    const done = new Set<string>();
    await waitFor(
      'three Complete',
      async () => {
        const pods = await podsOf('three');
        const active = pods.filter(isActive);
        maxActive = Math.max(maxActive, active.length);
        const next = active.find((p) => !done.has(p.metadata?.name ?? ''));
        if (next) {
          done.add(next.metadata?.name ?? '');
          await finish(next, 0);
        }
        return condition(await getJob('three'), 'Complete');
      },
      30_000,
      100,
    );
    expect(maxActive).toBeLessThanOrEqual(2);
    const j = await getJob('three');
    expect(j.status).toMatchObject({ succeeded: 3, active: 0 });
    expect(j.status?.failed ?? 0).toBe(0);
    expect(j.status?.completionTime).toBeTruthy();
    expect(Date.parse(j.status?.completionTime ?? '')).toBeGreaterThanOrEqual(Date.parse(j.status?.startTime ?? ''));
    const pods = await podsOf('three');
    expect(pods.filter((p) => p.status?.phase === 'Succeeded')).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata?.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'three', uid: j.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
      expect(p.metadata?.labels?.['batch.kubernetes.io/controller-uid']).toBe(j.metadata?.uid);
    }
    // Finished: no more pods appear.
    await sleep(500);
    expect(await podsOf('three')).toHaveLength(3);
  }, 60_000);

  it('podFailurePolicy: a failure with DisruptionTarget is Ignored (replaced, not counted); exit code 42 fails the Job at once', async () => {
    await api.client.create(
      Resources.jobs,
      ns,
      job('policy', {
        backoffLimit: 0,
        podFailurePolicy: {
          rules: [
            { action: 'FailJob', onExitCodes: { containerName: 'work', operator: 'In', values: [42] } },
            // The pattern's status is left to the API's default (True).
            { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' } as { type: string; status: string }] },
          ],
        },
      }),
    );
    const first = await waitFor('the first pod', async () => (await podsOf('policy')).find(isActive));
    // What a drain or a taint eviction leaves on a pod before it fails.
    await api.client.patch(Resources.pods, ns, first.metadata!.name!, { status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' }] } }, 'strategic', 'status');
    await finish(first, 1);
    const second = await waitFor('a replacement despite backoffLimit 0', async () => (await podsOf('policy')).find((p) => isActive(p) && p.metadata?.name !== first.metadata?.name));
    let j = await getJob('policy');
    expect(condition(j, 'Failed')).toBeUndefined();
    expect(j.status?.failed ?? 0).toBe(0);
    await finish(second, 42);
    j = await waitFor('policy Failed', async () => {
      const current = await getJob('policy');
      return condition(current, 'Failed') && current;
    });
    const message = `Container work for pod ${ns}/${second.metadata?.name} failed with exit code 42 matching FailJob rule at index 0`;
    expect(condition(j, 'FailureTarget')).toMatchObject({ reason: 'PodFailurePolicy', message });
    expect(condition(j, 'Failed')).toMatchObject({ reason: 'PodFailurePolicy', message });
    expect(j.status?.failed).toBe(1);
  }, 60_000);

  it('backoffLimitPerIndex: an index retried with its failure count, failed past its limit; the Job fails with FailedIndexes', async () => {
    await api.client.create(Resources.jobs, ns, job('per-index', { completionMode: 'Indexed', completions: 2, parallelism: 2, backoffLimitPerIndex: 1 }));
    const ofIndex = async (i: number, not: string[] = []) => (await podsOf('per-index')).find((p) => isActive(p) && p.metadata?.annotations?.[CompletionIndexAnnotation] === String(i) && !not.includes(p.metadata?.name ?? ''));
    const first = await waitFor('index 0 running', () => ofIndex(0));
    expect(first.metadata?.annotations?.[IndexFailureCountAnnotation]).toBe('0');
    await finish(first, 1);
    const retry = await waitFor('index 0 retried', () => ofIndex(0, [first.metadata!.name!]), 20_000);
    expect(retry.metadata?.annotations?.[IndexFailureCountAnnotation]).toBe('1');
    await finish(retry, 1);
    await finish((await waitFor('index 1 running', () => ofIndex(1)))!, 0);
    const j = await waitFor('per-index Failed', async () => {
      const current = await getJob('per-index');
      return condition(current, 'Failed') && current;
    });
    expect(condition(j, 'Failed')).toMatchObject({ reason: 'FailedIndexes', message: 'Job has failed indexes' });
    expect(j.spec?.backoffLimit).toBe(2147483647);
    expect(j.status).toMatchObject({ failedIndexes: '0', completedIndexes: '1', failed: 2, succeeded: 1 });
  }, 60_000);

  it('managedBy another controller: the Job controller leaves the Job alone (no pods, no status)', async () => {
    await api.client.create(Resources.jobs, ns, job('elsewhere', { managedBy: 'example.com/multikueue' }));
    await api.client.create(Resources.jobs, ns, job('here', { managedBy: 'kubernetes.io/job-controller' }));
    await waitFor('the Job managed here runs', async () => (await podsOf('here')).length > 0);
    await sleep(500);
    expect(await podsOf('elsewhere')).toEqual([]);
    expect((await getJob('elsewhere')).status ?? {}).toEqual({});
  }, 30_000);

  it('pods failing past backoffLimit: Failed with BackoffLimitExceeded', async () => {
    await api.client.create(Resources.jobs, ns, job('flaky', { backoffLimit: 1 }));
    const seen = new Set<string>();
    await waitFor(
      'flaky Failed',
      async () => {
        const next = (await podsOf('flaky')).filter(isActive).find((p) => !seen.has(p.metadata?.name ?? ''));
        if (next) {
          seen.add(next.metadata?.name ?? '');
          await finish(next, 1);
        }
        return condition(await getJob('flaky'), 'Failed');
      },
      30_000,
      100,
    );
    const j = await getJob('flaky');
    expect(condition(j, 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(j.status?.failed).toBe(2);
    expect(condition(j, 'Complete')).toBeUndefined();
    expect(seen.size).toBe(2);
  }, 60_000);

  it('restartPolicy OnFailure: the node agent restarts the container in place; restarts count against backoffLimit', async () => {
    await api.client.create(Resources.jobs, ns, job('retry', { backoffLimit: 1 }, 'OnFailure'));
    const [p] = await waitFor('retry pod', async () => {
      const ps = await podsOf('retry');
      return ps.length === 1 && ps;
    });
    const c = await waitFor('retry running', () => runningContainer(p));
    c.runtime.crash(c.id, 1);
    // The agent restarts it (restartCount 1), which reaches backoffLimit 1.
    const j = await waitFor(
      'retry Failed',
      async () => {
        const cur = await getJob('retry');
        return condition(cur, 'Failed') && cur;
      },
      40_000,
    );
    expect(condition(j, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(j.status?.failed ?? 0).toBe(0); // no pod failed: the restart in place is what counted
    // Never replaced by a second pod, even by a sync that sees the deletion before the Failed status.
    await sleep(500);
    expect(await podsOf('retry').then((ps) => ps.length)).toBeLessThanOrEqual(1);
  }, 60_000);

  it('activeDeadlineSeconds: DeadlineExceeded and the running pods are deleted', async () => {
    await api.client.create(Resources.jobs, ns, job('slow', { activeDeadlineSeconds: 3, parallelism: 2, completions: 2 }));
    // Created at once; whether they are Running yet when the deadline passes does not matter.
    await waitFor('slow pods created', async () => (await podsOf('slow')).length === 2);
    const j = await waitFor('slow Failed', async () => {
      const cur = await getJob('slow');
      return condition(cur, 'Failed') && cur;
    });
    expect(condition(j, 'Failed')?.reason).toBe('DeadlineExceeded');
    await waitFor('slow pods gone', async () => (await podsOf('slow')).every((p) => !isActive(p)));
  }, 30_000);

  it('Indexed: one pod per index with annotation and env; completedIndexes', async () => {
    await api.client.create(Resources.jobs, ns, job('idx', { completionMode: 'Indexed', completions: 3, parallelism: 3 }));
    const pods = await waitFor('three indexed pods', async () => {
      const ps = await podsOf('idx');
      return ps.length === 3 && ps;
    });
    expect(pods.map((p) => p.metadata?.annotations?.[CompletionIndexAnnotation]).sort()).toEqual(['0', '1', '2']);
    for (const p of pods) {
      expect(p.metadata?.name).toMatch(new RegExp(`^idx-${p.metadata?.annotations?.[CompletionIndexAnnotation]}-`));
      expect(p.spec?.containers[0].env?.find((e) => e.name === 'JOB_COMPLETION_INDEX')?.valueFrom?.fieldRef?.fieldPath).toBe(
        `metadata.annotations['${CompletionIndexAnnotation}']`,
      );
    }
    const byIndex = (i: number) => pods.find((p) => p.metadata?.annotations?.[CompletionIndexAnnotation] === String(i)) as Pod;
    await finish(byIndex(2), 0);
    await waitFor('index 2 completed', async () => (await getJob('idx')).status?.completedIndexes === '2');
    await finish(byIndex(0), 0);
    await finish(byIndex(1), 0);
    const j = await waitFor('idx Complete', async () => {
      const cur = await getJob('idx');
      return condition(cur, 'Complete') && cur;
    });
    expect(j.status).toMatchObject({ completedIndexes: '0-2', succeeded: 3 });
  }, 30_000);

  it('suspend: no pods while suspended; resuming starts them', async () => {
    await api.client.create(Resources.jobs, ns, job('later', { suspend: true }));
    await waitFor('Suspended condition', async () => condition(await getJob('later'), 'Suspended'));
    expect(await podsOf('later')).toHaveLength(0);
    expect((await getJob('later')).status?.startTime).toBeUndefined();
    await api.client.patch(Resources.jobs, ns, 'later', { spec: { suspend: false } }, 'merge');
    await waitFor('later pod', async () => (await podsOf('later')).length === 1);
    const j = await getJob('later');
    expect(j.status?.conditions?.find((c) => c.type === 'Suspended')).toMatchObject({ status: 'False', reason: 'JobResumed' });
    expect(j.status?.startTime).toBeTruthy();
  }, 30_000);

  it('deleting a Job deletes its pods (garbage collector); ttlSecondsAfterFinished deletes a finished Job', async () => {
    await api.client.create(Resources.jobs, ns, job('gone', { completions: 2, parallelism: 2 }));
    await waitFor('gone pods', async () => (await podsOf('gone')).length === 2);
    await api.client.delete(Resources.jobs, ns, 'gone', { propagationPolicy: 'Background' });
    await waitFor('gone pods deleted', async () => (await podsOf('gone')).length === 0, 20_000);

    // The TTL is 1 s, so a poll can miss the Complete Job under load: the Job informer records every version.
    const seenComplete = new Set<string>();
    const record = (j: Job) => {
      if (condition(j, 'Complete')) seenComplete.add(j.metadata?.name ?? '');
    };
    const jobInformer = informers.informerFor<Job>(Resources.jobs);
    jobInformer.onUpdate((_old, cur) => record(cur));
    jobInformer.onDelete((last) => record(last));
    await api.client.create(Resources.jobs, ns, job('brief', { ttlSecondsAfterFinished: 1 }));
    const [p] = await waitFor('brief pod', async () => {
      const ps = await podsOf('brief');
      return ps.length === 1 && ps;
    });
    // Not finish(): the pod's Succeeded phase lives about a second (the TTL, then the garbage collector),
    // so a poll can miss it under load; the Complete condition the informer recorded shows the success.
    const c = await waitFor('brief running', () => runningContainer(p));
    c.runtime.crash(c.id, 0);
    await waitFor('brief Complete', async () => seenComplete.has('brief'));
    await waitFor(
      'brief deleted after its TTL',
      async () => {
        try {
          await getJob('brief');
          return false;
        } catch (err) {
          return isNotFound(err);
        }
      },
      20_000,
    );
    await waitFor('brief pods deleted', async () => (await podsOf('brief')).length === 0, 20_000);
  }, 60_000);
});
