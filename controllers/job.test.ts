// Table tests of the Job controller's pure core, and its loop on a fake API with a recording PodControl:
// no apiserver.
import type { Job, JobStatus } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import {
  CompletionIndexAnnotation,
  CompletionIndexEnv,
  failureBackoffRemaining,
  IndexFailureCountAnnotation,
  JobController,
  jobStatusEqual,
  podForJob,
  reconcileJob,
} from './job';
import { formatIndexes } from '../lib/api/job-indexes';
import { Resources } from '../lib/api/resources';
import { fakeControllerContext } from '../test/fixtures/controller-context';
import { FakeKubeClient } from '../test/fixtures/fake-client';
import { SharedInformerFactory } from '../lib/client/shared-informers';
import { EventRecorder } from '../lib/client/events';
import type { KubeObject, PatchType } from '../lib/client/client';
import type { ResourceType } from '../lib/api/resources';
import { FakePodControl } from '../test/fixtures/fake-pod-control';
import { waitFor } from '../test/helpers/wait';

const uid = 'job-uid-1';
const now = new Date('2026-11-23T12:00:00Z');
const iso = (offsetSeconds: number): string => new Date(now.getTime() + offsetSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function job(spec: Partial<NonNullable<Job['spec']>> = {}, status?: JobStatus): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid },
    spec: {
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
      template: {
        metadata: { labels: { 'batch.kubernetes.io/controller-uid': uid, 'job-name': 'pi' } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
      },
      ...spec,
    },
    status,
  };
}

let podSeq = 0;
type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';
function pod(phase: Phase, o: { index?: number; finishedAgo?: number; restarts?: number; ready?: boolean; deleting?: boolean; owner?: string | null } = {}): Pod {
  podSeq++;
  const finishedAt = o.finishedAgo !== undefined ? iso(-o.finishedAgo) : undefined;
  return {
    metadata: {
      name: `pi-${podSeq}`,
      namespace: 'default',
      uid: `pod-${podSeq}`,
      creationTimestamp: iso(-1000 + podSeq),
      labels: { 'batch.kubernetes.io/controller-uid': uid },
      annotations: o.index !== undefined ? { [CompletionIndexAnnotation]: String(o.index) } : undefined,
      ownerReferences: o.owner === null ? undefined : [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: o.owner ?? uid, controller: true }],
      deletionTimestamp: o.deleting ? iso(-1) : undefined,
    },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] },
    status: {
      phase,
      conditions: o.ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: iso(-5) }] : [],
      containerStatuses: [
        {
          name: 'c',
          image: 'busybox',
          imageID: '',
          ready: !!o.ready,
          restartCount: o.restarts ?? 0,
          state: finishedAt ? { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, finishedAt } } : { running: { startedAt: iso(-10) } },
        },
      ],
    },
  };
}

const cond = (s: JobStatus, type: string) => s.conditions?.find((c) => c.type === type);

describe('reconcileJob: NonIndexed', () => {
  const cases: {
    name: string;
    spec?: Partial<NonNullable<Job['spec']>>;
    pods: () => Pod[];
    create: number;
    deleted?: number;
    succeeded: number;
    failed: number;
    active: number;
    condition?: [string, string];
  }[] = [
    { name: 'new job: one pod', pods: () => [], create: 1, succeeded: 0, failed: 0, active: 1 },
    { name: 'parallelism 2 of 3: two pods', spec: { completions: 3, parallelism: 2 }, pods: () => [], create: 2, succeeded: 0, failed: 0, active: 2 },
    {
      name: 'never more than the completions still missing',
      spec: { completions: 3, parallelism: 2 },
      pods: () => [pod('Succeeded', { finishedAgo: 5 }), pod('Succeeded', { finishedAgo: 4 }), pod('Running')],
      create: 0,
      succeeded: 2,
      failed: 0,
      active: 1,
    },
    {
      name: 'one missing, none running: one pod',
      spec: { completions: 3, parallelism: 2 },
      pods: () => [pod('Succeeded', { finishedAgo: 5 }), pod('Succeeded', { finishedAgo: 4 })],
      create: 1,
      succeeded: 2,
      failed: 0,
      active: 1,
    },
    {
      name: 'all completions: Complete, nothing created',
      spec: { completions: 3, parallelism: 2 },
      pods: () => [pod('Succeeded', { finishedAgo: 5 }), pod('Succeeded', { finishedAgo: 4 }), pod('Succeeded', { finishedAgo: 3 })],
      create: 0,
      succeeded: 3,
      failed: 0,
      active: 0,
      condition: ['Complete', 'CompletionsReached'],
    },
    {
      name: 'parallelism lowered: excess active pods deleted',
      spec: { completions: 10, parallelism: 1 },
      pods: () => [pod('Running', { ready: true }), pod('Pending'), pod('Running', { ready: true })],
      create: 0,
      deleted: 2,
      succeeded: 0,
      failed: 0,
      active: 1,
    },
    {
      name: 'failures up to backoffLimit: replaced (back-off over)',
      spec: { backoffLimit: 2 },
      pods: () => [pod('Failed', { finishedAgo: 3600 }), pod('Failed', { finishedAgo: 3500 })],
      create: 1,
      succeeded: 0,
      failed: 2,
      active: 1,
    },
    {
      name: 'failures over backoffLimit: Failed, active pods deleted',
      spec: { backoffLimit: 1, completions: 2, parallelism: 2 },
      pods: () => [pod('Failed', { finishedAgo: 30 }), pod('Failed', { finishedAgo: 20 }), pod('Running')],
      create: 0,
      deleted: 1,
      succeeded: 0,
      failed: 2,
      active: 0,
      condition: ['Failed', 'BackoffLimitExceeded'],
    },
    {
      name: 'OnFailure: container restarts count against backoffLimit',
      spec: {
        backoffLimit: 3,
        template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': uid } }, spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'b' }] } },
      },
      pods: () => [pod('Running', { restarts: 3 })],
      create: 0,
      deleted: 1,
      succeeded: 0,
      failed: 0,
      active: 0,
      condition: ['Failed', 'BackoffLimitExceeded'],
    },
    {
      name: 'work queue (no completions): parallelism pods until one succeeds',
      spec: { completions: undefined, parallelism: 3 },
      pods: () => [],
      create: 3,
      succeeded: 0,
      failed: 0,
      active: 3,
    },
    {
      name: 'work queue: after a success no new pods, others finish',
      spec: { completions: undefined, parallelism: 3 },
      pods: () => [pod('Succeeded', { finishedAgo: 1 }), pod('Running')],
      create: 0,
      succeeded: 1,
      failed: 0,
      active: 1,
    },
    {
      name: 'work queue: a success and nobody left: Complete',
      spec: { completions: undefined, parallelism: 3 },
      pods: () => [pod('Succeeded', { finishedAgo: 1 }), pod('Succeeded', { finishedAgo: 2 })],
      create: 0,
      succeeded: 2,
      failed: 0,
      active: 0,
      condition: ['Complete', 'CompletionsReached'],
    },
    {
      name: 'terminating pods are not active and are replaced (TerminatingOrFailed)',
      spec: { podReplacementPolicy: 'TerminatingOrFailed' },
      pods: () => [pod('Running', { deleting: true })],
      create: 1,
      succeeded: 0,
      failed: 0,
      active: 1,
    },
    {
      name: 'podReplacementPolicy Failed: a terminating pod holds its slot',
      spec: { podReplacementPolicy: 'Failed' },
      pods: () => [pod('Running', { deleting: true })],
      create: 0,
      succeeded: 0,
      failed: 0,
      active: 0,
    },
    {
      name: 'pods of another Job are ignored',
      pods: () => [pod('Succeeded', { owner: 'other', finishedAgo: 1 }), pod('Running', { owner: 'other' })],
      create: 1,
      succeeded: 0,
      failed: 0,
      active: 1,
    },
    {
      name: 'suspended: active pods deleted, nothing created',
      spec: { suspend: true, completions: 2, parallelism: 2 },
      pods: () => [pod('Running'), pod('Running')],
      create: 0,
      deleted: 2,
      succeeded: 0,
      failed: 0,
      active: 0,
      condition: ['Suspended', 'JobSuspended'],
    },
  ];
  it.each(cases)('$name', (c) => {
    const plan = reconcileJob(job(c.spec), c.pods(), now);
    expect(plan.create.length).toBe(c.create);
    expect(plan.delete.length).toBe(c.deleted ?? 0);
    expect(plan.status.succeeded).toBe(c.succeeded);
    expect(plan.status.failed).toBe(c.failed);
    expect(plan.status.active).toBe(c.active);
    if (c.condition) {
      expect(cond(plan.status, c.condition[0])).toMatchObject({ status: 'True', reason: c.condition[1] });
    } else {
      expect(plan.status.conditions ?? []).toEqual([]);
    }
    expect(plan.create.every((i) => i === undefined)).toBe(true);
  });

  it('OnFailure: restarts of a pod being deleted still count, so it is not replaced', () => {
    const onFailure = job({
      backoffLimit: 1,
      template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': uid } }, spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'b' }] } },
    });
    const plan = reconcileJob(onFailure, [pod('Running', { restarts: 1, deleting: true })], now);
    expect(plan.create).toEqual([]);
    expect(cond(plan.status, 'Failed')?.reason).toBe('BackoffLimitExceeded');
  });

  describe('podFailurePolicy', () => {
    const withPolicy = (backoffLimit: number) =>
      job({
        backoffLimit,
        podReplacementPolicy: 'Failed',
        podFailurePolicy: {
          rules: [
            { action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [42] } },
            { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          ],
        },
      });
    const evicted = () => {
      const p = pod('Failed', { finishedAgo: 30 });
      p.status!.conditions = [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager' }];
      return p;
    };
    const exited = (code: number) => {
      const p = pod('Failed', { finishedAgo: 30 });
      p.status!.containerStatuses![0].state = { terminated: { exitCode: code, finishedAt: iso(-30) } };
      return p;
    };

    it('an Ignored failure is not counted against backoffLimit nor backed off from: the pod is replaced at once', () => {
      const plan = reconcileJob(withPolicy(0), [evicted()], now);
      expect(plan.status.failed).toBe(0);
      expect(cond(plan.status, 'Failed')).toBeUndefined();
      expect(plan.create).toHaveLength(1);
    });

    it('a counted failure still fails the Job past backoffLimit', () => {
      const plan = reconcileJob(withPolicy(0), [exited(1)], now);
      expect(plan.status.failed).toBe(1);
      expect(cond(plan.status, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    });

    it('a FailJob match ends the Job at once, with FailureTarget and Failed (PodFailurePolicy), deleting the running pods', () => {
      const running = pod('Running');
      const failing = exited(42);
      const plan = reconcileJob({ ...withPolicy(6), spec: { ...withPolicy(6).spec!, parallelism: 2, completions: 2 } }, [failing, running], now);
      const message = `Container c for pod default/${failing.metadata?.name} failed with exit code 42 matching FailJob rule at index 0`;
      for (const type of ['FailureTarget', 'Failed']) expect(cond(plan.status, type)).toMatchObject({ status: 'True', reason: 'PodFailurePolicy', message });
      expect(plan.delete).toEqual([running]);
      expect(plan.create).toEqual([]);
      expect(plan.events).toEqual([{ type: 'Warning', reason: 'PodFailurePolicy', message }]);
    });
  });

  it('completion sets completionTime, keeps startTime and emits Completed once', () => {
    const start = iso(-60);
    const plan = reconcileJob(job({}, { startTime: start }), [pod('Succeeded', { finishedAgo: 1 })], now);
    expect(plan.status.startTime).toBe(start);
    expect(plan.status.completionTime).toBe(iso(0));
    expect(plan.events).toEqual([{ type: 'Normal', reason: 'Completed', message: 'Job completed' }]);
    // Next sync of the finished Job: same status, no event.
    const again = reconcileJob(job({}, plan.status), [pod('Succeeded', { finishedAgo: 1 })], new Date(now.getTime() + 5000));
    expect(again.events).toEqual([]);
    expect(jobStatusEqual(plan.status, again.status)).toBe(true);
  });

  it('deleted succeeded pods do not lower the count', () => {
    const plan = reconcileJob(job({ completions: 3, parallelism: 1 }, { succeeded: 2, startTime: iso(-10) }), [], now);
    expect(plan.status.succeeded).toBe(2);
    expect(plan.create.length).toBe(1);
  });

  it('activeDeadlineSeconds: requeue before, DeadlineExceeded after, active pods deleted', () => {
    const running = [pod('Running')];
    const before = reconcileJob(job({ activeDeadlineSeconds: 30 }, { startTime: iso(-20) }), running, now);
    expect(before.delete).toEqual([]);
    expect(before.requeueAfterMs).toBe(10_000);
    const after = reconcileJob(job({ activeDeadlineSeconds: 30 }, { startTime: iso(-31) }), running, now);
    expect(after.delete).toEqual(running);
    expect(cond(after.status, 'Failed')).toMatchObject({ status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect(after.events[0]).toMatchObject({ type: 'Warning', reason: 'DeadlineExceeded' });
    expect(after.status.active).toBe(0);
  });

  it('startTime is set when the Job starts, not while suspended; resuming resets it', () => {
    expect(reconcileJob(job(), [], now).status.startTime).toBe(iso(0));
    const suspended = reconcileJob(job({ suspend: true }), [], now);
    expect(suspended.status.startTime).toBeUndefined();
    const resumed = reconcileJob(job({ suspend: false }, suspended.status), [], new Date(now.getTime() + 7000));
    expect(resumed.status.startTime).toBe(iso(7));
    expect(cond(resumed.status, 'Suspended')).toMatchObject({ status: 'False', reason: 'JobResumed' });
    expect(resumed.create.length).toBe(1);
  });

  it('pod failure back-off: no replacement until 10 s × 2^(n-1) after the last failure', () => {
    const failedPods = [pod('Failed', { finishedAgo: 15 }), pod('Failed', { finishedAgo: 5 })];
    const plan = reconcileJob(job({ backoffLimit: 6 }), failedPods, now);
    expect(plan.create).toEqual([]);
    expect(plan.requeueAfterMs).toBe(15_000); // 2 failures: 20 s after the one 5 s ago
    expect(failureBackoffRemaining(failedPods, now.getTime() + 15_000, 10_000, 360_000)).toBe(0);
    // A success resets the count.
    expect(failureBackoffRemaining([pod('Failed', { finishedAgo: 30 }), pod('Succeeded', { finishedAgo: 20 })], now.getTime(), 10_000, 360_000)).toBe(0);
    // Capped.
    const many = Array.from({ length: 12 }, (_, i) => pod('Failed', { finishedAgo: 100 - i }));
    expect(failureBackoffRemaining(many, now.getTime(), 10_000, 360_000)).toBe(360_000 - 89_000);
  });

  it('while earlier creates are unobserved (manage false) it counts but does not act', () => {
    const plan = reconcileJob(job({ completions: 5, parallelism: 5 }), [pod('Running')], now, { manage: false });
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.status.active).toBe(1);
  });

  it('adopts matching orphans, never finished ones', () => {
    const orphan = pod('Running', { owner: null });
    const finishedOrphan = pod('Succeeded', { owner: null, finishedAgo: 1 });
    const plan = reconcileJob(job(), [orphan, finishedOrphan], now);
    expect(plan.adopt).toEqual([orphan]);
    expect(plan.create).toEqual([]);
    expect(plan.status.succeeded).toBe(0);
  });

  it('ttlSecondsAfterFinished: requeue until due, then delete the Job', () => {
    const finished: JobStatus = {
      succeeded: 1,
      completionTime: iso(-10),
      conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: iso(-10) }],
    };
    const early = reconcileJob(job({ ttlSecondsAfterFinished: 60 }, finished), [], now);
    expect(early.deleteJob).toBe(false);
    expect(early.requeueAfterMs).toBe(50_000);
    const due = reconcileJob(job({ ttlSecondsAfterFinished: 5 }, finished), [], now);
    expect(due.deleteJob).toBe(true);
    // A failed Job counts from its Failed condition.
    const failed: JobStatus = { failed: 7, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', lastTransitionTime: iso(-100) }] };
    expect(reconcileJob(job({ ttlSecondsAfterFinished: 50 }, failed), [], now).deleteJob).toBe(true);
  });

  it('an invalid selector is reported, not acted on', () => {
    const plan = reconcileJob(job({ selector: { matchExpressions: [{ key: 'a', operator: 'Bogus' }] } }), [], now);
    expect(plan.selectorError).toBeDefined();
    expect(plan.create).toEqual([]);
  });
});

describe('reconcileJob: Indexed', () => {
  const indexed = (spec: Partial<NonNullable<Job['spec']>> = {}, status?: JobStatus) =>
    job({ completionMode: 'Indexed', completions: 5, parallelism: 2, ...spec }, status);

  it('successPolicy: the Job completes once a rule holds (SuccessCriteriaMet, then Complete with reason SuccessPolicy), deleting the pods still running', () => {
    const leader = job({ completionMode: 'Indexed', completions: 3, parallelism: 3, successPolicy: { rules: [{ succeededIndexes: '0' }] } });
    const workers = [pod('Running', { index: 1 }), pod('Running', { index: 2 })];
    const plan = reconcileJob(leader, [pod('Succeeded', { index: 0, finishedAgo: 1 }), ...workers], now);
    for (const type of ['SuccessCriteriaMet', 'Complete']) expect(cond(plan.status, type)).toMatchObject({ status: 'True', reason: 'SuccessPolicy', message: 'Matched rules at index 0' });
    expect(plan.delete).toEqual(workers);
    expect(plan.status.completionTime).toBe(iso(0));
    // Without the rule holding, nothing changes.
    const waiting = reconcileJob(leader, [pod('Running', { index: 0 }), pod('Succeeded', { index: 1, finishedAgo: 1 })], now);
    expect(cond(waiting.status, 'Complete')).toBeUndefined();
    expect(waiting.create).toEqual([2]);
  });

  describe('backoffLimitPerIndex', () => {
    const perIndex = (spec: Partial<NonNullable<Job['spec']>> = {}, status?: JobStatus) =>
      indexed({ completions: 3, parallelism: 3, backoffLimit: 2147483647, backoffLimitPerIndex: 1, ...spec }, status);
    /** A failed pod of the index that had `before` failures of its index before it. */
    const failedOf = (index: number, before: number, o: { finishedAgo?: number; exit?: number } = {}) => {
      const p = pod('Failed', { index, finishedAgo: o.finishedAgo ?? 60 });
      p.metadata!.annotations = { ...p.metadata!.annotations, [IndexFailureCountAnnotation]: String(before) };
      if (o.exit !== undefined) p.status!.containerStatuses![0].state = { terminated: { exitCode: o.exit, finishedAt: iso(-(o.finishedAgo ?? 60)) } };
      return p;
    };

    it('a first failure of an index within its limit: the index is retried, its new pod carrying the failure count', () => {
      const plan = reconcileJob(perIndex(), [pod('Running', { index: 0 }), failedOf(1, 0), pod('Running', { index: 2 })], now);
      expect(plan.create).toEqual([1]);
      expect(plan.indexFailureCounts).toEqual(new Map([[1, 1]]));
      expect(plan.status.failedIndexes).toBe('');
      expect(plan.status.failed).toBe(1);
      expect(podForJob(perIndex(), 1, 1).metadata?.annotations?.[IndexFailureCountAnnotation]).toBe('1');
    });

    it('a failure past the index’s limit fails the index only: its siblings go on; the Job fails (FailedIndexes) once every index is done or failed', () => {
      const running = reconcileJob(perIndex(), [pod('Running', { index: 0 }), failedOf(1, 0), failedOf(1, 1), pod('Running', { index: 2 })], now);
      expect(running.status.failedIndexes).toBe('1');
      expect(running.create).toEqual([]);
      expect(cond(running.status, 'Failed')).toBeUndefined();
      const done = reconcileJob(perIndex({}, running.status), [pod('Succeeded', { index: 0, finishedAgo: 1 }), failedOf(1, 0), failedOf(1, 1), pod('Succeeded', { index: 2, finishedAgo: 1 })], now);
      expect(cond(done.status, 'Failed')).toMatchObject({ reason: 'FailedIndexes', message: 'Job has failed indexes' });
      expect(done.status).toMatchObject({ completedIndexes: '0,2', failedIndexes: '1', succeeded: 2, failed: 2 });
    });

    it('more failed indexes than maxFailedIndexes: the Job fails at once, deleting the running pods', () => {
      const running = pod('Running', { index: 0 });
      const plan = reconcileJob(perIndex({ maxFailedIndexes: 0 }), [running, failedOf(1, 1)], now);
      expect(cond(plan.status, 'Failed')).toMatchObject({ reason: 'MaxFailedIndexesExceeded', message: 'Job has exceeded the specified maximal number of failed indexes' });
      expect(plan.delete).toEqual([running]);
    });

    it('a FailIndex rule fails the index at its first failure; an Ignored one is not counted for the index', () => {
      const policy = { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [3] } }, { action: 'Ignore', onExitCodes: { operator: 'In', values: [4] } }] };
      const plan = reconcileJob(perIndex({ podFailurePolicy: policy }), [failedOf(0, 0, { exit: 3 }), failedOf(1, 0, { exit: 4 }), pod('Running', { index: 2 })], now);
      expect(plan.status.failedIndexes).toBe('0');
      expect(plan.create).toEqual([1]);
      expect(plan.indexFailureCounts).toEqual(new Map([[1, 0]]));
    });

    it('each index backs off from its own failures', () => {
      const plan = reconcileJob(perIndex(), [failedOf(0, 0, { finishedAgo: 1 }), failedOf(1, 0, { finishedAgo: 60 })], now);
      expect(plan.create).toEqual([1, 2]);
      expect(plan.requeueAfterMs).toBe(9_000);
    });
  });

  it('creates the lowest missing indexes up to parallelism', () => {
    expect(reconcileJob(indexed(), [], now).create).toEqual([0, 1]);
    const plan = reconcileJob(indexed(), [pod('Succeeded', { index: 0, finishedAgo: 1 }), pod('Running', { index: 1 })], now);
    expect(plan.create).toEqual([2]);
    expect(plan.status.completedIndexes).toBe('0');
    expect(plan.status.succeeded).toBe(1);
  });

  it('completedIndexes accumulate over deleted pods and compress runs', () => {
    const plan = reconcileJob(indexed({}, { completedIndexes: '0,1', succeeded: 2 }), [pod('Succeeded', { index: 2, finishedAgo: 1 }), pod('Succeeded', { index: 4, finishedAgo: 1 })], now);
    expect(plan.status.completedIndexes).toBe('0-2,4');
    expect(plan.status.succeeded).toBe(4);
    expect(plan.create).toEqual([3]);
  });

  it('Complete once every index succeeded; a second success of one index does not count twice', () => {
    const pods = [0, 1, 2, 3, 3, 4].map((i) => pod('Succeeded', { index: i, finishedAgo: 1 }));
    const plan = reconcileJob(indexed(), pods, now);
    expect(plan.status.succeeded).toBe(5);
    expect(cond(plan.status, 'Complete')?.status).toBe('True');
    expect(formatIndexes([4, 0, 1, 2, 3])).toBe('0-4');
    expect(formatIndexes([1, 3, 4, 5, 7])).toBe('1,3-5,7');
    expect(formatIndexes([1, 2])).toBe('1,2');
  });

  it('deletes duplicate, out-of-range, unindexed and already-completed pods', () => {
    const dupA = pod('Running', { index: 1 });
    const dupB = pod('Pending', { index: 1 });
    const outOfRange = pod('Running', { index: 9 });
    const noIndex = pod('Running');
    const doneAgain = pod('Running', { index: 0 });
    const plan = reconcileJob(indexed({ parallelism: 5 }, { completedIndexes: '0', succeeded: 1 }), [dupA, dupB, outOfRange, noIndex, doneAgain], now);
    expect(new Set(plan.delete)).toEqual(new Set([dupB, outOfRange, noIndex, doneAgain]));
    expect(plan.create).toEqual([2, 3, 4]);
  });

  it('pods carry the index annotation, label, env and hostname', () => {
    const p = podForJob(indexed(), 3);
    expect(p.metadata?.generateName).toBe('pi-3-');
    expect(p.metadata?.annotations?.[CompletionIndexAnnotation]).toBe('3');
    expect(p.metadata?.labels?.[CompletionIndexAnnotation]).toBe('3');
    expect(p.spec?.hostname).toBe('pi-3');
    expect(p.spec?.containers[0].env).toEqual([
      { name: CompletionIndexEnv, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${CompletionIndexAnnotation}']` } } },
    ]);
    expect(p.metadata?.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid, controller: true, blockOwnerDeletion: true }]);
  });
});

describe('podForJob: hostname', () => {
  it('is left unset when <job>-<index> is no DNS label', () => {
    const dotted = job({ completionMode: 'Indexed', completions: 2 });
    (dotted.metadata as NonNullable<Job['metadata']>).name = 'batch.v2';
    expect(podForJob(dotted, 1).spec?.hostname).toBeUndefined();
    expect(podForJob(dotted, 1).metadata?.generateName).toBe('batch.v2-1-');
  });
});

describe('podForJob: NonIndexed', () => {
  it('template labels, owner reference, generateName, no index', () => {
    const p = podForJob(job());
    expect(p.metadata?.generateName).toBe('pi-');
    expect(p.metadata?.labels).toEqual({ 'batch.kubernetes.io/controller-uid': uid, 'job-name': 'pi' });
    expect(p.metadata?.annotations).toBeUndefined();
    expect(p.spec?.containers[0].env).toBeUndefined();
    expect(p.spec?.restartPolicy).toBe('Never');
  });
});

describe('JobController loop (fake API, recording PodControl)', () => {
  // stop() drains the queue: every sync enqueued before it has run when stopped() resolves.
  async function settle(c: JobController): Promise<void> {
    c.stop();
    await c.stopped();
  }

  function setup(j: Job, pods: Pod[] = []) {
    const { client, ctx } = fakeControllerContext();
    const podControl = new FakePodControl();
    const controller = new JobController(ctx, { podControl, workers: 1, now: () => now });
    client.add(Resources.jobs, j);
    for (const p of pods) client.add(Resources.pods, p);
    return { client, podControl, controller };
  }

  it('creates up to parallelism, and not again while those creates are unobserved', async () => {
    const { client, podControl, controller } = setup(job({ completions: 3, parallelism: 2 }));
    await controller.start();
    await waitFor('the first creates', () => podControl.created.length === 2);
    await client.patch(Resources.jobs, 'default', 'pi', { metadata: { annotations: { touched: '1' } } });
    await settle(controller);
    expect(podControl.created).toHaveLength(2);
    expect(podControl.created[0].metadata?.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid, controller: true, blockOwnerDeletion: true }]);
  });

  it('Indexed: one pod per missing index', async () => {
    const { podControl, controller } = setup(job({ completionMode: 'Indexed', completions: 3, parallelism: 3 }), [pod('Running', { index: 1 })]);
    await controller.start();
    await settle(controller);
    expect(podControl.created.map((p) => p.metadata?.annotations?.[CompletionIndexAnnotation])).toEqual(['0', '2']);
  });

  it('suspending deletes the running pods, once', async () => {
    const running = [pod('Running'), pod('Running')];
    const { client, podControl, controller } = setup(job({ completions: 3, parallelism: 2, suspend: true }), running);
    await controller.start();
    await waitFor('the deletes', () => podControl.deleted.length === 2);
    await client.patch(Resources.jobs, 'default', 'pi', { metadata: { annotations: { touched: '1' } } });
    await settle(controller);
    expect(podControl.deleted.map((p) => p.metadata?.name).sort()).toEqual(running.map((p) => p.metadata?.name).sort());
  });

  it('adopts a running orphan through the PodControl, never a finished one', async () => {
    const orphan = pod('Running', { owner: null });
    const { podControl, controller } = setup(job(), [orphan, pod('Succeeded', { owner: null, finishedAgo: 1 })]);
    await controller.start();
    await settle(controller);
    expect(podControl.patched.map((x) => x.pod.metadata?.name)).toEqual([orphan.metadata?.name]);
    expect(podControl.created).toHaveLength(0);
  });

  it('a status computed from a stale cached Job never lowers the stored count: the write is conditional on the resourceVersion read', async () => {
    // The Job's watch events are held back (a slow watch), so its cache still shows the status before
    // the controller's own last write. A succeeded pod then goes (evicted with its NotReady node): a
    // status computed from that cache counts one success fewer than is stored. Found by the chaos
    // harness as status.succeeded going back (job-counted-once).
    class StatusRecording extends FakeKubeClient {
      readonly storedSucceeded: number[] = [];
      statusPatches = 0;
      override async patch<T>(r: ResourceType, namespace: string | undefined, name: string, patch: unknown, type?: PatchType, subresource?: string): Promise<T> {
        if (r === Resources.jobs && subresource === 'status') this.statusPatches++;
        const out = await super.patch<T>(r, namespace, name, patch, type, subresource);
        if (r === Resources.jobs) this.storedSucceeded.push((out as KubeObject & Job).status?.succeeded ?? 0);
        return out;
      }
    }
    const client = new StatusRecording();
    const ctx = { client, informers: new SharedInformerFactory(client), recorder: new EventRecorder(client, { component: 'test' }) };
    const controller = new JobController(ctx, { podControl: new FakePodControl(), workers: 1, now: () => now });
    const done = [pod('Succeeded', { finishedAgo: 5 }), pod('Succeeded', { finishedAgo: 4 })];
    client.add(Resources.jobs, job({ completions: 3, parallelism: 1 }));
    for (const p of [...done, pod('Running')]) client.add(Resources.pods, p);
    client.hold(Resources.jobs);
    await controller.start();
    await waitFor('both successes counted', () => client.storedSucceeded.includes(2));
    const patchesBefore = client.statusPatches;
    await client.delete(Resources.pods, 'default', done[0].metadata!.name!);
    await waitFor('a sync after the pod went', () => client.statusPatches > patchesBefore);
    client.release(Resources.jobs);
    await settle(controller);
    expect(client.storedSucceeded).toEqual([2]);
    expect(client.stored<Job>(Resources.jobs)[0].status?.succeeded).toBe(2);
  });
});
