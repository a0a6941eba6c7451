// Table tests of the LimitRanger, Priority and ResourceQuota admission decisions: the defaults they set,
// and the 403 messages they give, as kube-apiserver words them.
import type { LimitRange, Pod, ResourceQuota } from 'kubernetes-types/core/v1';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1';
import { Resources, type ResourceType } from '../../lib/api/resources';
import type { AdmissionAttributes } from '../auth/types';
import { ApiStatusError } from '../errors';
import type { KObj } from '../storage/types';
import { SystemPriorityClasses } from '../validation/legacy';
import { applyContainerDefaults, LimitRangerAdmission, podLimitViolations } from './limit-ranger';
import { PriorityAdmission } from './priority';
import { ResourceQuotaAdmission } from './resource-quota';

const pod = (containers: Array<{ name: string; requests?: Record<string, string>; limits?: Record<string, string> }>, extra: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns' },
  spec: { containers: containers.map((c) => ({ name: c.name, image: 'nginx', resources: { ...(c.requests ? { requests: c.requests } : {}), ...(c.limits ? { limits: c.limits } : {}) } })), ...extra },
});

const attrs = (rt: ResourceType, object: unknown, operation: AdmissionAttributes['operation'] = 'CREATE'): AdmissionAttributes => ({
  operation,
  rt,
  subresource: '',
  namespace: 'ns',
  name: String((object as KObj).metadata?.name ?? ''),
  user: { name: 'u', groups: [] },
  object: object as KObj,
  dryRun: false,
  warnings: [],
  auditAnnotations: {},
});

async function refusal(p: Promise<void>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    if (!(err instanceof ApiStatusError)) throw err;
    expect(err.code).toBe(403);
    return err.message;
  }
}

const range = (item: NonNullable<LimitRange['spec']>['limits'][number]): LimitRange => ({ metadata: { name: 'lr', namespace: 'ns' }, spec: { limits: [item] } });

describe('LimitRanger', () => {
  it('sets default requests and limits where a container states none, and says so in the annotation', async () => {
    const p = pod([{ name: 'web' }, { name: 'side', requests: { cpu: '50m' } }]);
    const plugin = new LimitRangerAdmission({ listLimitRanges: async () => [range({ type: 'Container', default: { cpu: '500m', memory: '128Mi' }, defaultRequest: { cpu: '100m' } })] });
    await plugin.admit(attrs(Resources.pods, p));
    expect(p.spec!.containers[0].resources).toEqual({ requests: { cpu: '100m' }, limits: { cpu: '500m', memory: '128Mi' } });
    expect(p.spec!.containers[1].resources).toEqual({ requests: { cpu: '50m' }, limits: { cpu: '500m', memory: '128Mi' } });
    expect(p.metadata!.annotations!['kubernetes.io/limit-ranger']).toBe('LimitRanger plugin set: cpu request for container web; cpu, memory limit for container web; cpu, memory limit for container side');
  });

  it('leaves a pod alone when no LimitRange has defaults', () => {
    const p = pod([{ name: 'web' }]);
    expect(applyContainerDefaults(p, [range({ type: 'Container', max: { cpu: '1' } })])).toEqual([]);
  });

  it.each<[string, NonNullable<LimitRange['spec']>['limits'][number], Pod, string[]]>([
    ['request under min', { type: 'Container', min: { cpu: '100m' } }, pod([{ name: 'c', requests: { cpu: '50m' } }]), ['minimum cpu usage per Container is 100m, but request is 50m']],
    ['no request with a min', { type: 'Container', min: { memory: '64Mi' } }, pod([{ name: 'c' }]), ['minimum memory usage per Container is 64Mi.  No request is specified']],
    ['limit over max', { type: 'Container', max: { cpu: '1' } }, pod([{ name: 'c', requests: { cpu: '1' }, limits: { cpu: '2' } }]), ['maximum cpu usage per Container is 1, but limit is 2']],
    ['no limit with a max', { type: 'Container', max: { cpu: '1' } }, pod([{ name: 'c' }]), ['maximum cpu usage per Container is 1.  No limit is specified']],
    ['ratio too high', { type: 'Container', maxLimitRequestRatio: { cpu: '2' } }, pod([{ name: 'c', requests: { cpu: '100m' }, limits: { cpu: '500m' } }]), ['cpu max limit to request ratio per Container is 2, but provided ratio is 5.000000']],
    ['pod total over max', { type: 'Pod', max: { memory: '1Gi' } }, pod([{ name: 'a', limits: { memory: '768Mi' } }, { name: 'b', limits: { memory: '512Mi' } }]), ['maximum memory usage per Pod is 1Gi, but limit is 1280Mi']],
    ['within every bound', { type: 'Container', min: { cpu: '10m' }, max: { cpu: '1' }, maxLimitRequestRatio: { cpu: '4' } }, pod([{ name: 'c', requests: { cpu: '100m' }, limits: { cpu: '200m' } }]), []],
  ])('%s', (_name, item, p, want) => {
    expect(podLimitViolations(p, [range(item)])).toEqual(want);
  });

  it('refuses with 403 naming the pod, several violations in brackets', async () => {
    const plugin = new LimitRangerAdmission({ listLimitRanges: async () => [range({ type: 'Container', min: { cpu: '100m' }, max: { cpu: '200m' } })] });
    expect(await refusal(plugin.validate(attrs(Resources.pods, pod([{ name: 'c', requests: { cpu: '50m' }, limits: { cpu: '300m' } }]))))).toBe(
      'pods "p" is forbidden: [minimum cpu usage per Container is 100m, but request is 50m, maximum cpu usage per Container is 200m, but limit is 300m]',
    );
  });
});

describe('Priority', () => {
  const classes: PriorityClass[] = [...SystemPriorityClasses, { metadata: { name: 'high' }, value: 1000, preemptionPolicy: 'Never' }];
  const plugin = (extra: PriorityClass[] = []) => new PriorityAdmission({ listPriorityClasses: async () => [...classes, ...extra] });

  it.each<[string, Partial<NonNullable<Pod['spec']>>, PriorityClass[], { priority: number; className?: string; policy?: string } | string]>([
    ['a named class', { priorityClassName: 'high' }, [], { priority: 1000, className: 'high', policy: 'Never' }],
    ['a system class', { priorityClassName: 'system-node-critical' }, [], { priority: 2000001000, className: 'system-node-critical', policy: 'PreemptLowerPriority' }],
    ['no class and no default: 0', {}, [], { priority: 0, policy: 'PreemptLowerPriority' }],
    ['no class: the global default', {}, [{ metadata: { name: 'dflt' }, value: 7, globalDefault: true }], { priority: 7, className: 'dflt', policy: 'PreemptLowerPriority' }],
    ['no class, after pod defaulting: the global default', { priority: 0, preemptionPolicy: 'PreemptLowerPriority' }, [{ metadata: { name: 'dflt' }, value: 7, globalDefault: true, preemptionPolicy: 'Never' }], { priority: 7, className: 'dflt', policy: 'Never' }],
    ['a policy that differs', { priorityClassName: 'system-node-critical', preemptionPolicy: 'Never' }, [], 'pods "p" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name'],
    ['a missing class', { priorityClassName: 'nope' }, [], 'pods "p" is forbidden: no PriorityClass with name nope was found'],
    ['a priority that differs', { priorityClassName: 'high', priority: 5 }, [], 'pods "p" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name'],
  ])('%s', async (_name, spec, extra, want) => {
    const p = pod([{ name: 'c' }], spec);
    const message = await refusal(plugin(extra).admit(attrs(Resources.pods, p)));
    if (typeof want === 'string') return expect(message).toBe(want);
    expect(message).toBeUndefined();
    expect(p.spec!.priority).toBe(want.priority);
    expect(p.spec!.priorityClassName).toBe(want.className);
    expect(p.spec!.preemptionPolicy).toBe(want.policy);
  });

  it('allows one global default only', async () => {
    const second: PriorityClass = { metadata: { name: 'second' }, value: 1, globalDefault: true };
    expect(await refusal(plugin([{ metadata: { name: 'first' }, value: 2, globalDefault: true }]).validate(attrs(Resources.priorityclasses, second)))).toBe(
      'priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass first is already marked as default. Only one default can exist',
    );
    expect(await refusal(plugin().validate(attrs(Resources.priorityclasses, second)))).toBeUndefined();
  });
});

describe('ResourceQuota', () => {
  const quota = (hard: Record<string, string>): ResourceQuota => ({ metadata: { name: 'q', namespace: 'ns' }, spec: { hard } });
  const plugin = (quotas: ResourceQuota[], existing: Partial<Record<string, KObj[]>>) =>
    new ResourceQuotaAdmission({ listResourceQuotas: async () => quotas, listObjects: async (rt) => existing[rt.resource] ?? [] });
  const cm = (name: string): KObj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' } });

  it.each<[string, ResourceType, unknown, ResourceQuota[], Partial<Record<string, KObj[]>>, string | undefined]>([
    ['pods at the limit', Resources.pods, pod([{ name: 'c' }]), [quota({ pods: '1' })], { pods: [pod([{ name: 'c' }]) as unknown as KObj] }, 'pods "p" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1'],
    ['pods under the limit', Resources.pods, pod([{ name: 'c' }]), [quota({ pods: '2' })], { pods: [pod([{ name: 'c' }]) as unknown as KObj] }, undefined],
    ['finished pods do not count', Resources.pods, pod([{ name: 'c' }]), [quota({ pods: '1' })], { pods: [{ ...pod([{ name: 'c' }]), status: { phase: 'Succeeded' } } as unknown as KObj] }, undefined],
    ['cpu requests over', Resources.pods, pod([{ name: 'c', requests: { cpu: '600m' } }]), [quota({ 'requests.cpu': '1' })], { pods: [pod([{ name: 'c', requests: { cpu: '500m' } }]) as unknown as KObj] }, 'pods "p" is forbidden: exceeded quota: q, requested: requests.cpu=600m, used: requests.cpu=500m, limited: requests.cpu=1'],
    ['memory limits unstated', Resources.pods, pod([{ name: 'web' }]), [quota({ 'limits.memory': '1Gi' })], {}, 'pods "p" is forbidden: failed quota: q: must specify limits.memory for: web'],
    ['count/configmaps', Resources.configmaps, cm('c'), [quota({ 'count/configmaps': '2' })], { configmaps: [cm('a'), cm('b')] }, 'configmaps "c" is forbidden: exceeded quota: q, requested: count/configmaps=1, used: count/configmaps=2, limited: count/configmaps=2'],
    ['a kind the quota does not limit', Resources.secrets, { metadata: { name: 's' } }, [quota({ pods: '0' })], {}, undefined],
  ])('%s', async (_name, rt, obj, quotas, existing, want) => {
    expect(await refusal(plugin(quotas, existing).validate(attrs(rt, obj)))).toBe(want);
  });

  // kube's quota admission charges an admitted create at once: status.used written in the same
  // admission, compare-and-swap on the quota's resourceVersion, retried when another write came first.
  describe('status.used written at admission', () => {
    const charged = (quotas: () => ResourceQuota[], existing: Partial<Record<string, KObj[]>>, answers: boolean[]) => {
      const writes: Array<[string | undefined, Record<string, string>]> = [];
      let lists = 0;
      const p = new ResourceQuotaAdmission({
        listResourceQuotas: async () => {
          lists++;
          return quotas();
        },
        listObjects: async (rt) => existing[rt.resource] ?? [],
        updateQuotaUsed: async (q, used) => {
          writes.push([q.metadata?.resourceVersion, used]);
          return answers.shift() ?? true;
        },
      });
      return { p, writes, lists: () => lists };
    };
    const withStatus = (hard: Record<string, string>, used: Record<string, string>, rv = '5'): ResourceQuota => ({ metadata: { name: 'q', namespace: 'ns', resourceVersion: rv }, spec: { hard }, status: { hard, used } });

    it('charges the new object to every resource it uses, keeping the rest of status.used', async () => {
      const c = charged(() => [withStatus({ pods: '3', 'requests.cpu': '2', 'count/configmaps': '5' }, { pods: '1', 'requests.cpu': '500m', 'count/configmaps': '4' })], { pods: [pod([{ name: 'c', requests: { cpu: '500m' } }]) as unknown as KObj] }, []);
      await c.p.validate(attrs(Resources.pods, pod([{ name: 'c', requests: { cpu: '250m' } }])));
      expect(c.writes).toEqual([['5', { pods: '2', 'requests.cpu': '750m', 'count/configmaps': '4' }]]);
    });

    it('a refused create, a dry run and a kind the quota does not limit charge nothing', async () => {
      const c = charged(() => [withStatus({ pods: '1' }, { pods: '1' })], { pods: [pod([{ name: 'c' }]) as unknown as KObj] }, []);
      expect(await refusal(c.p.validate(attrs(Resources.pods, pod([{ name: 'c' }]))))).toContain('exceeded quota');
      const d = charged(() => [withStatus({ pods: '2' }, { pods: '0' })], {}, []);
      await d.p.validate({ ...attrs(Resources.pods, pod([{ name: 'c' }])), dryRun: true });
      await d.p.validate(attrs(Resources.secrets, { metadata: { name: 's' } }));
      expect([...c.writes, ...d.writes]).toEqual([]);
    });

    it('a quota changed since it was read is read again and charged again; after three retries the conflict is the answer', async () => {
      let rv = 5;
      const c = charged(() => [withStatus({ pods: '5' }, { pods: '0' }, String(rv++))], {}, [false, true]);
      await c.p.validate(attrs(Resources.pods, pod([{ name: 'c' }])));
      expect(c.writes.map(([v]) => v)).toEqual(['5', '6']);
      expect(c.lists()).toBe(2);
      const lost = charged(() => [withStatus({ pods: '5' }, { pods: '0' })], {}, [false, false, false, false]);
      const err = await lost.p.validate(attrs(Resources.pods, pod([{ name: 'c' }]))).then(
        () => undefined,
        (e: { code?: number; message?: string }) => e,
      );
      expect(err?.code).toBe(409);
      expect(err?.message).toContain('resourcequotas "q"');
      expect(lost.writes).toHaveLength(4);
    });
  });

  // Scoped quotas: only the pods in every scope are counted and refused.
  const scoped = (hard: Record<string, string>, scopes: string[], matchExpressions?: NonNullable<NonNullable<ResourceQuota['spec']>['scopeSelector']>['matchExpressions']): ResourceQuota => ({
    metadata: { name: 'scoped', namespace: 'ns' },
    spec: { hard, ...(scopes.length ? { scopes } : {}), ...(matchExpressions ? { scopeSelector: { matchExpressions } } : {}) },
  });
  const bestEffort = pod([{ name: 'c' }]);
  const burstable = pod([{ name: 'c', requests: { cpu: '100m', memory: '64Mi' } }]);
  const high = pod([{ name: 'c' }], { priorityClassName: 'high' });
  const deadline = pod([{ name: 'c' }], { activeDeadlineSeconds: 60 });
  it.each<[string, Pod, ResourceQuota, KObj[], string | undefined]>([
    ['BestEffort quota refuses a best-effort pod over it', bestEffort, scoped({ pods: '1' }, ['BestEffort']), [bestEffort as unknown as KObj], 'pods "p" is forbidden: exceeded quota: scoped, requested: pods=1, used: pods=1, limited: pods=1'],
    ['BestEffort quota lets a burstable pod through', burstable, scoped({ pods: '1' }, ['BestEffort']), [bestEffort as unknown as KObj], undefined],
    ['BestEffort quota does not count burstable pods already there', bestEffort, scoped({ pods: '1' }, ['BestEffort']), [burstable as unknown as KObj], undefined],
    ['NotBestEffort quota asks a burstable pod for what it limits', pod([{ name: 'c', requests: { cpu: '100m' } }]), scoped({ 'requests.memory': '1Gi' }, ['NotBestEffort']), [], 'pods "p" is forbidden: failed quota: scoped: must specify requests.memory for: c'],
    ['NotBestEffort quota leaves best-effort pods alone (no "must specify")', bestEffort, scoped({ 'requests.memory': '1Gi' }, ['NotBestEffort']), [], undefined],
    ['Terminating quota refuses a pod with a deadline', deadline, scoped({ pods: '0' }, ['Terminating']), [], 'pods "p" is forbidden: exceeded quota: scoped, requested: pods=1, used: pods=0, limited: pods=0'],
    ['Terminating quota lets a pod without a deadline through', bestEffort, scoped({ pods: '0' }, ['Terminating']), [], undefined],
    ['NotTerminating quota lets a pod with a deadline through', deadline, scoped({ pods: '0' }, ['NotTerminating']), [], undefined],
    ['PriorityClass In refuses the class it names', high, scoped({ pods: '0' }, [], [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }]), [], 'pods "p" is forbidden: exceeded quota: scoped, requested: pods=1, used: pods=0, limited: pods=0'],
    ['PriorityClass In lets other pods through', bestEffort, scoped({ pods: '0' }, [], [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }]), [], undefined],
    ['PriorityClass DoesNotExist refuses a pod without a class', bestEffort, scoped({ pods: '0' }, [], [{ scopeName: 'PriorityClass', operator: 'DoesNotExist' }]), [], 'pods "p" is forbidden: exceeded quota: scoped, requested: pods=1, used: pods=0, limited: pods=0'],
    ['PriorityClass NotIn lets the excluded class through', high, scoped({ pods: '0' }, [], [{ scopeName: 'PriorityClass', operator: 'NotIn', values: ['high'] }]), [], undefined],
    ['init containers must state what a quota limits too', pod([{ name: 'c', requests: { cpu: '1' } }], { initContainers: [{ name: 'setup', image: 'busybox' }, { name: 'init', image: 'busybox' }] }), quota({ 'requests.cpu': '4' }), [], 'pods "p" is forbidden: failed quota: q: must specify requests.cpu for: init,setup'],
    ['ephemeral-storage limits are not required of containers', bestEffort, quota({ 'limits.ephemeral-storage': '1Gi' }), [], undefined],
  ])('%s', async (_name, p, q, existing, want) => {
    expect(await refusal(plugin([q], { pods: existing }).validate(attrs(Resources.pods, p)))).toBe(want);
  });

  it('a pod update that sets a deadline meets the Terminating quotas it now falls in', async () => {
    const q = scoped({ 'limits.cpu': '2' }, ['Terminating']);
    const update = { ...attrs(Resources.pods, deadline, 'UPDATE'), oldObject: bestEffort as unknown as KObj };
    expect(await refusal(plugin([q], {}).validate(update))).toBe('pods "p" is forbidden: failed quota: scoped: must specify limits.cpu for: c');
    // Any other update is not the quota's business.
    const other = { ...attrs(Resources.pods, deadline, 'UPDATE'), oldObject: deadline as unknown as KObj };
    expect(await refusal(plugin([q], {}).validate(other))).toBeUndefined();
  });
});
