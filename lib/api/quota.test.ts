// Table tests of quota counting as kube's pod evaluator does it: which pods a scoped quota takes in
// (Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass with each operator,
// CrossNamespacePodAffinity), what a pod is charged, and a namespace's total in a quota's scopes.
import type { Pod, PodSpec, ResourceQuota, ScopedResourceSelectorRequirement } from 'kubernetes-types/core/v1';
import { chargedPod, isBestEffort, podMatchesScope, quotaMatches, quotaScopeSelectors, totalUsage, usageOf } from './quota';
import { Resources } from './resources';

const pod = (spec: Partial<PodSpec> = {}, extra: Partial<Pod> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'ns', ...extra.metadata },
  spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec },
  ...(extra.status ? { status: extra.status } : {}),
});
const withResources = (requests?: Record<string, string>, limits?: Record<string, string>): Partial<PodSpec> => ({
  containers: [{ name: 'c', image: 'nginx', resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } }],
});

const bestEffort = pod();
const burstable = pod(withResources({ cpu: '100m' }));
const zeroRequests = pod(withResources({ cpu: '0', memory: '0' }));
const initLimits = pod({ initContainers: [{ name: 'init', image: 'busybox', resources: { limits: { memory: '64Mi' } } }] });
const ephemeralOnly = pod(withResources({ 'ephemeral-storage': '1Gi' }));
const terminating = pod({ activeDeadlineSeconds: 30 });
const zeroDeadline = pod({ activeDeadlineSeconds: 0 });
const high = pod({ priorityClassName: 'high' });
const low = pod({ priorityClassName: 'low' });
const crossNamespace = pod({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', namespaces: ['other'] }] } } });
const crossNamespaceSelector = pod({
  affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'zone', namespaceSelector: {} } }] } },
});
const sameNamespaceAffinity = pod({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { a: 'b' } } }] } } });

const req = (scopeName: string, operator = 'Exists', values?: string[]): ScopedResourceSelectorRequirement => ({ scopeName, operator, ...(values ? { values } : {}) });

describe('podMatchesScope', () => {
  it.each<[string, ScopedResourceSelectorRequirement, Pod, boolean]>([
    ['Terminating: activeDeadlineSeconds set', req('Terminating'), terminating, true],
    ['Terminating: activeDeadlineSeconds 0 counts', req('Terminating'), zeroDeadline, true],
    ['Terminating: no deadline', req('Terminating'), bestEffort, false],
    ['NotTerminating: no deadline', req('NotTerminating'), bestEffort, true],
    ['NotTerminating: a deadline', req('NotTerminating'), terminating, false],
    ['BestEffort: nothing requested', req('BestEffort'), bestEffort, true],
    ['BestEffort: a cpu request', req('BestEffort'), burstable, false],
    ['BestEffort: zero requests are still best effort', req('BestEffort'), zeroRequests, true],
    ['BestEffort: an init container limit makes it burstable', req('BestEffort'), initLimits, false],
    ['BestEffort: ephemeral storage alone is not QoS', req('BestEffort'), ephemeralOnly, true],
    ['NotBestEffort: a cpu request', req('NotBestEffort'), burstable, true],
    ['NotBestEffort: nothing requested', req('NotBestEffort'), bestEffort, false],
    ['PriorityClass Exists: a class', req('PriorityClass'), high, true],
    ['PriorityClass Exists: no class', req('PriorityClass'), bestEffort, false],
    ['PriorityClass DoesNotExist: no class', req('PriorityClass', 'DoesNotExist'), bestEffort, true],
    ['PriorityClass DoesNotExist: a class', req('PriorityClass', 'DoesNotExist'), high, false],
    ['PriorityClass In: listed', req('PriorityClass', 'In', ['high', 'medium']), high, true],
    ['PriorityClass In: not listed', req('PriorityClass', 'In', ['high', 'medium']), low, false],
    ['PriorityClass In: no class never matches', req('PriorityClass', 'In', ['high']), bestEffort, false],
    ['PriorityClass NotIn: not listed', req('PriorityClass', 'NotIn', ['high']), low, true],
    ['PriorityClass NotIn: listed', req('PriorityClass', 'NotIn', ['high']), high, false],
    ['PriorityClass NotIn: no class matches', req('PriorityClass', 'NotIn', ['high']), bestEffort, true],
    ['CrossNamespacePodAffinity: namespaces named', req('CrossNamespacePodAffinity'), crossNamespace, true],
    ['CrossNamespacePodAffinity: a namespace selector (anti-affinity, preferred)', req('CrossNamespacePodAffinity'), crossNamespaceSelector, true],
    ['CrossNamespacePodAffinity: same-namespace affinity', req('CrossNamespacePodAffinity'), sameNamespaceAffinity, false],
    ['CrossNamespacePodAffinity: no affinity', req('CrossNamespacePodAffinity'), bestEffort, false],
    ['an unknown scope matches nothing', req('Other'), bestEffort, false],
  ])('%s', (_name, r, p, want) => {
    expect(podMatchesScope(r, p)).toBe(want);
  });
});

describe('isBestEffort', () => {
  it('looks at limits as well as requests', () => {
    expect(isBestEffort(pod(withResources(undefined, { memory: '1Gi' })))).toBe(false);
  });
});

const quota = (spec: ResourceQuota['spec']): ResourceQuota => ({ metadata: { name: 'q', namespace: 'ns' }, spec });

describe('quotaMatches', () => {
  it('turns scopes into Exists requirements ahead of the scope selector', () => {
    expect(quotaScopeSelectors(quota({ hard: { pods: '1' }, scopes: ['BestEffort'], scopeSelector: { matchExpressions: [req('PriorityClass', 'In', ['high'])] } }))).toEqual([
      req('BestEffort'),
      req('PriorityClass', 'In', ['high']),
    ]);
  });

  it.each<[string, ResourceQuota, Pod, boolean]>([
    ['no scopes: every pod', quota({ hard: { pods: '1' } }), burstable, true],
    ['scopes and selector must all match', quota({ hard: { pods: '1' }, scopes: ['BestEffort'], scopeSelector: { matchExpressions: [req('PriorityClass', 'In', ['high'])] } }), high, true],
    ['one unmet requirement excludes the pod', quota({ hard: { pods: '1' }, scopes: ['NotBestEffort'], scopeSelector: { matchExpressions: [req('PriorityClass', 'In', ['high'])] } }), high, false],
    ['a quota limiting nothing a pod uses', quota({ hard: { 'count/configmaps': '1' } }), bestEffort, false],
  ])('%s', (_name, q, p, want) => {
    expect(quotaMatches(q, Resources.pods, p as Record<string, unknown>)).toBe(want);
  });

  it('a scoped quota never counts other kinds (their evaluators match no scope)', () => {
    const q = quota({ hard: { 'count/configmaps': '1' }, scopes: ['NotTerminating'] });
    expect(quotaMatches(q, Resources.configmaps, { metadata: { name: 'cm' } })).toBe(false);
    expect(quotaMatches(quota({ hard: { 'count/configmaps': '1' } }), Resources.configmaps, { metadata: { name: 'cm' } })).toBe(true);
  });
});

describe('usage', () => {
  const now = Date.parse('2026-01-01T00:01:00Z');

  it('charges sidecars beside the containers and an init container beside the sidecars before it', () => {
    const c = (name: string, cpu: string, restartPolicy?: string) => ({ name, image: 'x', resources: { requests: { cpu }, limits: { cpu } }, ...(restartPolicy ? { restartPolicy } : {}) });
    // containers 200m + sidecar 100m = 300m; the init container after the sidecar: 500m + 100m = 600m.
    const p = pod({ containers: [c('app', '200m')], initContainers: [c('side', '100m', 'Always'), c('init', '500m')] });
    const used = usageOf(Resources.pods, p as Record<string, unknown>, now);
    for (const k of ['requests.cpu', 'limits.cpu', 'cpu']) expect(used[k]).toBeCloseTo(0.6, 9);
    // Without the init container: the sidecar adds to the containers.
    const q = pod({ containers: [c('app', '200m')], initContainers: [c('side', '100m', 'Always')] });
    expect(usageOf(Resources.pods, q as Record<string, unknown>, now)['requests.cpu']).toBeCloseTo(0.3, 9);
  });

  it('charges a finished pod only for count/pods', () => {
    const done = pod(withResources({ cpu: '1' }), { status: { phase: 'Succeeded' } });
    expect(usageOf(Resources.pods, done as Record<string, unknown>, now)).toEqual({ 'count/pods': 1 });
  });

  it('stops charging a pod stuck terminating past its grace period, not before', () => {
    const deleting = (grace: number) => pod(withResources({ cpu: '1' }), { metadata: { name: 'p', deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: grace } });
    expect(chargedPod(deleting(30), now)).toBe(false);
    expect(chargedPod(deleting(120), now)).toBe(true);
  });

  it('totals only the pods in the quota scopes', () => {
    const q = quota({ hard: { pods: '10', 'count/pods': '10' }, scopes: ['BestEffort'] });
    const used = totalUsage(q, [
      [Resources.pods, bestEffort as Record<string, unknown>],
      [Resources.pods, burstable as Record<string, unknown>],
      [Resources.pods, high as Record<string, unknown>],
      [Resources.configmaps, { metadata: { name: 'cm' } }],
    ]);
    expect(used).toEqual({ pods: 2, 'count/pods': 2 });
  });

  it('totals compute of the pods a PriorityClass selector takes in', () => {
    const q = quota({ hard: { 'requests.cpu': '4' }, scopeSelector: { matchExpressions: [req('PriorityClass', 'In', ['high'])] } });
    const highWithCpu = pod({ ...withResources({ cpu: '500m' }), priorityClassName: 'high' });
    const lowWithCpu = pod({ ...withResources({ cpu: '2' }), priorityClassName: 'low' });
    expect(totalUsage(q, [[Resources.pods, highWithCpu as Record<string, unknown>], [Resources.pods, lowWithCpu as Record<string, unknown>]])).toEqual({ 'requests.cpu': 0.5 });
  });
});
