// batch/v1 Jobs as the apiserver serves them: discovery, defaults, the generated selector and labels,
// kube-apiserver's validation messages, template immutability, the status subresource and the Table
// kubectl prints. No controller runs here.
import type { Job } from 'kubernetes-types/batch/v1';
import { ApiError } from '../../lib/client/client';
import { Resources, resourcePath } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

const ns = 'default';
let api: TestApiServer;

beforeAll(async () => {
  api = await startTestApiServer();
});
afterAll(async () => {
  await api?.stop();
});

function job(name: string, spec: Record<string, unknown> = {}, templateSpec: Record<string, unknown> = { restartPolicy: 'Never' }): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:1.35', command: ['true'] }], ...templateSpec } }, ...spec },
  } as Job;
}

async function createError(j: Job): Promise<ApiError> {
  try {
    await api.client.create(Resources.jobs, ns, j);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error(`creating ${j.metadata?.name} succeeded`);
}

describe('batch/v1 jobs in the apiserver', () => {
  it('is discoverable under /apis/batch/v1 with the status subresource', async () => {
    const list = await api.client.request<{ resources: { name: string; kind: string; namespaced: boolean; categories?: string[] }[] }>('GET', '/apis/batch/v1');
    expect(list.resources.find((r) => r.name === 'jobs')).toMatchObject({ kind: 'Job', namespaced: true, categories: ['all'] });
    expect(list.resources.find((r) => r.name === 'jobs/status')).toBeDefined();
  });

  it('defaults like Kubernetes and generates the selector and labels from the uid', async () => {
    const created = await api.client.create<Job>(Resources.jobs, ns, job('pi'));
    const uid = created.metadata?.uid as string;
    expect(uid).toBeTruthy();
    expect(created.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false });
    expect(created.spec?.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
    const labels = { 'batch.kubernetes.io/controller-uid': uid, 'controller-uid': uid, 'batch.kubernetes.io/job-name': 'pi', 'job-name': 'pi' };
    expect(created.spec?.template.metadata?.labels).toEqual(labels);
    expect(created.metadata?.labels).toEqual(labels);
    expect(created.spec?.template.spec?.dnsPolicy).toBe('ClusterFirst');
    expect(created.status).toEqual({});
  });

  it('parallelism alone leaves completions unset (a work queue)', async () => {
    const created = await api.client.create<Job>(Resources.jobs, ns, job('queue', { parallelism: 3 }));
    expect(created.spec?.completions).toBeUndefined();
    expect(created.spec?.parallelism).toBe(3);
  });

  it('refuses restartPolicy Always or unset with kube-apiserver message', async () => {
    const err = await createError(job('always', {}, {}));
    expect(err.code).toBe(422);
    expect(err.message).toBe(
      'Job.batch "always" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    );
  });

  it('podFailurePolicy: defaults a pattern status to True and podReplacementPolicy to Failed', async () => {
    const created = await api.client.create<Job>(Resources.jobs, ns, job('pfp', { podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }, { action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [42] } }] } }));
    expect(created.spec?.podFailurePolicy?.rules[0].onPodConditions?.[0]).toEqual({ type: 'DisruptionTarget', status: 'True' });
    expect(created.spec?.podReplacementPolicy).toBe('Failed');
  });

  it('podFailurePolicy: kube-apiserver’s messages for its rules', async () => {
    const causes = async (spec: Record<string, unknown>, templateSpec?: Record<string, unknown>) =>
      (await createError(job('bad-pfp', spec, templateSpec))).status.details?.causes?.map((c) => `${c.field}: ${c.message}`);
    expect(await causes({ podFailurePolicy: { rules: [] } }, { restartPolicy: 'OnFailure' })).toEqual(['spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified']);
    expect(await causes({ podFailurePolicy: { rules: [{ action: 'FailJob' }] } })).toEqual(['spec.podFailurePolicy.rules[0]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required']);
    expect(
      await causes({
        podFailurePolicy: {
          rules: [
            { action: 'Retry', onExitCodes: { containerName: 'xyz', operator: 'In', values: [19, 0, 11, 11] } },
            { action: 'FailIndex', onPodConditions: [{ type: 'Invalid Condition Type', status: 'Maybe' }] },
            { action: 'Count', onExitCodes: { operator: 'Between', values: [] }, onPodConditions: [{ type: 'Ready' }] },
          ],
        },
      }),
    ).toEqual([
      'spec.podFailurePolicy.rules[0].action: Unsupported value: "Retry": supported values: "Count", "FailIndex", "FailJob", "Ignore"',
      'spec.podFailurePolicy.rules[0].onExitCodes.containerName: Invalid value: "xyz": must be one of the container or initContainer names in the pod template',
      'spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Invalid value: 0: must not be 0 for the In operator',
      'spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{19, 0, 11, 11}: must be ordered',
      'spec.podFailurePolicy.rules[0].onExitCodes.values[3]: Duplicate value: 11',
      'spec.podFailurePolicy.rules[1].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set',
      expect.stringMatching(/^spec\.podFailurePolicy\.rules\[1\]\.onPodConditions\[0\]\.type: Invalid value: "Invalid Condition Type": name part must consist of alphanumeric characters/),
      'spec.podFailurePolicy.rules[1].onPodConditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"',
      'spec.podFailurePolicy.rules[2]: Invalid value: specifying both OnExitCodes and OnPodConditions is not supported',
      'spec.podFailurePolicy.rules[2].onExitCodes.operator: Unsupported value: "Between": supported values: "In", "NotIn"',
      'spec.podFailurePolicy.rules[2].onExitCodes.values: Invalid value: []int32{}: at least one value is required',
    ]);
    expect(await causes({ podReplacementPolicy: 'TerminatingOrFailed', podFailurePolicy: { rules: [] } })).toEqual(['spec.podReplacementPolicy: Unsupported value: "TerminatingOrFailed": supported values: "Failed"']);
  });

  it('backoffLimitPerIndex: backoffLimit defaults to the largest int32; kube-apiserver’s messages', async () => {
    const created = await api.client.create<Job>(Resources.jobs, ns, job('per-index', { completionMode: 'Indexed', completions: 3, backoffLimitPerIndex: 1, maxFailedIndexes: 1 }));
    expect(created.spec?.backoffLimit).toBe(2147483647);
    const causes = async (spec: Record<string, unknown>) => (await createError(job('bad-per-index', spec))).status.details?.causes?.map((c) => `${c.field}: ${c.message}`);
    expect(await causes({ backoffLimitPerIndex: 1 })).toEqual(['spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode']);
    expect(await causes({ completionMode: 'Indexed', completions: 10, maxFailedIndexes: 11, backoffLimitPerIndex: 1 })).toEqual(['spec.maxFailedIndexes: Invalid value: 11: must be less than or equal to completions']);
    expect(await causes({ completionMode: 'Indexed', completions: 10, maxFailedIndexes: 1 })).toEqual(['spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified']);
    expect(await causes({ completionMode: 'Indexed', completions: 100_001, parallelism: 50_000, backoffLimitPerIndex: 1 })).toEqual([
      'spec.maxFailedIndexes: Required value: must be specified when completions is above 100000',
      'spec.parallelism: Invalid value: 50000: must be less than or equal to 10000 when completions are above 100000 and used with backoff limit per index',
    ]);
  });

  it('successPolicy: kube-apiserver’s messages', async () => {
    const causes = async (spec: Record<string, unknown>) => (await createError(job('bad-success', spec))).status.details?.causes?.map((c) => `${c.field}: ${c.message}`);
    expect(await causes({ successPolicy: { rules: [{ succeededCount: 1 }] } })).toEqual(['spec.successPolicy: Invalid value: {"rules":[{"succeededCount":1}]}: requires indexed completion mode']);
    expect(
      await causes({ completionMode: 'Indexed', completions: 5, successPolicy: { rules: [{}, { succeededIndexes: '3,1' }, { succeededIndexes: '0-1', succeededCount: 3 }, { succeededCount: 6 }] } }),
    ).toEqual([
      'spec.successPolicy.rules[0]: Required value: at least one of succeededCount or succeededIndexes must be specified',
      'spec.successPolicy.rules[1].succeededIndexes: Invalid value: "3,1": error parsing succeededIndexes: non-increasing order, previous: 3, current: 1',
      'spec.successPolicy.rules[2].succeededCount: Invalid value: 3: must be less than or equal to 2 (the number of indexes in the specified succeededIndexes field)',
      'spec.successPolicy.rules[3].succeededCount: Invalid value: 6: must be less than or equal to 5 (the number of specified completions)',
    ]);
  });

  it('managedBy: a domain-prefixed path of at most 63 bytes, immutable', async () => {
    const causes = async (managedBy: string) => (await createError(job('bad-managed', { managedBy }))).status.details?.causes?.map((c) => `${c.field}: ${c.message}`);
    expect(await causes('multikueue')).toEqual(['spec.managedBy: Invalid value: "multikueue": must be a domain-prefixed path (such as "acme.io/foo")']);
    expect(await causes('Example.com/x')).toEqual([expect.stringMatching(/^spec\.managedBy: Invalid value: "Example\.com": a lowercase RFC 1123 subdomain/)]);
    expect(await causes(`example.com/${'x'.repeat(60)}`)).toEqual(['spec.managedBy: Too long: must have at most 63 bytes']);
    const made = await api.client.create<Job>(Resources.jobs, ns, job('managed', { managedBy: 'example.com/multikueue' }));
    expect(made.spec?.managedBy).toBe('example.com/multikueue');
    const changed = await api.client.patch(Resources.jobs, ns, 'managed', { spec: { managedBy: 'example.com/other' } }, 'merge').catch((e: ApiError) => e);
    expect((changed as ApiError).status?.details?.causes?.map((c) => c.field)).toEqual(['spec.managedBy']);
  });

  it('refuses negative counts, unknown modes and Indexed without completions', async () => {
    const err = await createError(job('bad', { parallelism: 2, backoffLimit: -1, completionMode: 'Indexed' }));
    const causes = err.status.details?.causes?.map((c) => `${c.field}: ${c.message}`);
    expect(causes).toEqual(['spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0', 'spec.completions: Required value: when completion mode is Indexed']);
    const mode = await createError(job('mode', { completionMode: 'Sometimes' }));
    expect(mode.message).toContain('spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"');
  });

  it('without manualSelector a hand-written selector is refused; with it, it must match the labels', async () => {
    const own = await createError(job('own', { selector: { matchLabels: { app: 'x' } } }));
    expect(own.message).toContain('spec.selector: Invalid value:');
    expect(own.message).toContain('`selector` not auto-generated');
    const manual = job('manual', { manualSelector: true, selector: { matchLabels: { app: 'x' } } });
    (manual.spec as NonNullable<Job['spec']>).template.metadata = { labels: { app: 'y' } };
    const mismatch = await createError(manual);
    expect(mismatch.message).toContain('spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`');
    (manual.spec as NonNullable<Job['spec']>).template.metadata = { labels: { app: 'x' } };
    const created = await api.client.create<Job>(Resources.jobs, ns, manual);
    expect(created.spec?.selector).toEqual({ matchLabels: { app: 'x' } });
    expect(created.spec?.template.metadata?.labels).toEqual({ app: 'x' });
  });

  it('the template is immutable, parallelism is not; a suspended, unstarted Job may change scheduling fields', async () => {
    await api.client.create(Resources.jobs, ns, job('mut', { completions: 4, parallelism: 2 }));
    const scaled = await api.client.patch<Job>(Resources.jobs, ns, 'mut', { spec: { parallelism: 4 } }, 'merge');
    expect(scaled.spec?.parallelism).toBe(4);
    const err = await api.client
      .patch(Resources.jobs, ns, 'mut', { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } } }, 'strategic')
      .catch((e: unknown) => e as ApiError);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toContain('spec.template: Invalid value:');
    expect((err as ApiError).message).toContain('field is immutable');
    const completions = await api.client.patch(Resources.jobs, ns, 'mut', { spec: { completions: 5 } }, 'merge').catch((e: unknown) => e as ApiError);
    expect((completions as ApiError).message).toContain('spec.completions: Invalid value: 5: field is immutable');

    await api.client.create(Resources.jobs, ns, job('sus', { suspend: true }));
    const moved = await api.client.patch<Job>(Resources.jobs, ns, 'sus', { spec: { template: { spec: { nodeSelector: { zone: 'a' } } } } }, 'strategic');
    expect(moved.spec?.template.spec?.nodeSelector).toEqual({ zone: 'a' });
    const image = await api.client
      .patch(Resources.jobs, ns, 'sus', { spec: { template: { spec: { containers: [{ name: 'c', image: 'other' }] } } } }, 'strategic')
      .catch((e: unknown) => e as ApiError);
    expect((image as ApiError).message).toContain('field is immutable');
  });

  it('status is written through the status subresource only', async () => {
    await api.client.create(Resources.jobs, ns, job('st'));
    const viaMain = await api.client.patch<Job>(Resources.jobs, ns, 'st', { status: { succeeded: 1 } }, 'merge');
    expect(viaMain.status?.succeeded).toBeUndefined();
    const viaStatus = await api.client.patch<Job>(Resources.jobs, ns, 'st', { status: { succeeded: 1, startTime: '2026-11-23T12:00:00Z' } }, 'merge', 'status');
    expect(viaStatus.status?.succeeded).toBe(1);
    const bad = await api.client.patch(Resources.jobs, ns, 'st', { status: { active: -1 } }, 'merge', 'status').catch((e: unknown) => e as ApiError);
    expect((bad as ApiError).message).toContain('status.active: Invalid value: -1: must be greater than or equal to 0');
  });

  it('serves the Table kubectl prints: NAME COMPLETIONS DURATION AGE (+ CONTAINERS IMAGES SELECTOR)', async () => {
    await api.client.create(Resources.jobs, ns, job('tbl', { completions: 3, parallelism: 2 }));
    const start = new Date(Date.now() - 65_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const end = new Date(Date.now() - 5_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await api.client.patch(Resources.jobs, ns, 'tbl', { status: { succeeded: 2, startTime: start, completionTime: end } }, 'merge', 'status');
    const table = await api.client.request<{ columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[] }[] }>(
      'GET',
      `${resourcePath(Resources.jobs, { namespace: ns, name: 'tbl' })}`,
      { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    );
    expect(table.columnDefinitions.map((c) => `${c.name}:${c.priority}`)).toEqual([
      'Name:0',
      'Completions:0',
      'Duration:0',
      'Age:0',
      'Containers:1',
      'Images:1',
      'Selector:1',
    ]);
    const cells = table.rows[0].cells;
    expect(cells.slice(0, 3)).toEqual(['tbl', '2/3', '60s']);
    expect(cells.slice(4, 6)).toEqual(['c', 'busybox:1.35']);
    expect(cells[6]).toMatch(/^batch\.kubernetes\.io\/controller-uid=[0-9a-f-]{36}$/);
    const queue = await api.client.request<{ rows: { cells: unknown[] }[] }>('GET', resourcePath(Resources.jobs, { namespace: ns, name: 'queue' }), {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    expect(queue.rows[0].cells.slice(1, 3)).toEqual(['0/1 of 3', '']);
  });
});
