// The CLI's pure parts: table printing, durations, argument parsing, rollout messages, the pending-pod
// diagnosis, drain's pod filter, top's quantity handling.
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Event, Node, Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { parseDuration } from '../../cli/command';
import { describeError } from '../../cli/errors';
import { ApiError } from '../../lib/client/client';
import { parseManifests } from '../../cli/manifests';
import { Table, humanDuration, printTable, qualifiedName, tabulate } from '../../cli/printers';
import { parseResourceArgs } from '../../cli/resource-args';
import { parseCascade } from '../../cli/verbs/delete';
import { parseOutput } from '../../cli/verbs/get';
import { drainPlan } from '../../cli/verbs/nodes';
import { deploymentRolloutState } from '../../cli/verbs/rollout';
import { cpuCell, memoryCell, parseBytes, parseCpuNano } from '../../cli/verbs/top';
import { explainPod, renderExplanation, schedulingReasons } from '../../cli/verbs/why';

const podTable: Table = {
  kind: 'Table',
  apiVersion: 'meta.k8s.io/v1',
  columnDefinitions: [
    { name: 'Name', type: 'string', format: 'name', description: '', priority: 0 },
    { name: 'Ready', type: 'string', format: '', description: '', priority: 0 },
    { name: 'Status', type: 'string', format: '', description: '', priority: 0 },
    { name: 'Restarts', type: 'integer', format: '', description: '', priority: 0 },
    { name: 'Age', type: 'string', format: '', description: '', priority: 0 },
    { name: 'IP', type: 'string', format: '', description: '', priority: 1 },
    { name: 'Node', type: 'string', format: '', description: '', priority: 1 },
  ],
  rows: [
    { cells: ['nginx-48ccb87g1f-7zfls', '1/1', 'Running', 0, '9s', '10.88.0.5', 'node-1'], object: { metadata: { name: 'nginx-48ccb87g1f-7zfls', namespace: 'default' } } },
  ],
};

describe('printing', () => {
  it('prints a Table like kubectl (tabwriter: padding 3, min width 6, last column unpadded)', () => {
    expect(printTable(podTable, {})).toBe('NAME                     READY   STATUS    RESTARTS   AGE\nnginx-48ccb87g1f-7zfls   1/1     Running   0          9s\n');
  });
  it('-o wide adds the priority-1 columns, -A a NAMESPACE column, several types a kind prefix', () => {
    expect(printTable(podTable, { wide: true }).split('\n')[0]).toBe('NAME                     READY   STATUS    RESTARTS   AGE   IP          NODE');
    expect(printTable(podTable, { withNamespace: true }).split('\n')[1].startsWith('default     nginx-')).toBe(true);
    expect(printTable(podTable, { kindPrefix: 'pod' }).split('\n')[1].startsWith('pod/nginx-48ccb87g1f-7zfls   ')).toBe(true);
    expect(printTable(podTable, { noHeaders: true })).not.toContain('NAME');
  });
  it('keeps watch rows at least as wide as the header block', () => {
    const first = tabulate([['NAME', 'READY', 'STATUS'], ['a', '1/1', 'Running']]);
    expect(tabulate([['b', '0/1', 'ContainerCreating']], first.widths).text).toBe('b      0/1     ContainerCreating\n');
  });
  test.each([
    [9_000, '9s'],
    [119_000, '119s'],
    [150_000, '2m30s'],
    [600_000, '10m'],
    [3 * 3600_000 + 5 * 60_000, '3h5m'],
    [30 * 3600_000, '30h'],
    [50 * 3600_000, '2d2h'],
    [400 * 86400_000, '400d'],
    [-5000, '<invalid>'],
  ])('humanDuration(%d) = %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
  it('names objects as kubectl does', () => {
    expect(qualifiedName(Resources.deployments, 'nginx')).toBe('deployment.apps/nginx');
    expect(qualifiedName(Resources.services, 'nginx')).toBe('service/nginx');
  });
  it('formats apiserver errors as kubectl does', () => {
    expect(describeError(new ApiError(404, { kind: 'Status', reason: 'NotFound', message: 'pods "x" not found', code: 404 }))).toBe(
      'Error from server (NotFound): pods "x" not found',
    );
    expect(describeError(new Error('boom'))).toBe('error: boom');
  });
});

describe('argument parsing', () => {
  it('understands kubectl resource arguments', () => {
    expect(parseResourceArgs(['po']).map((s) => [s.resource.resource, s.names])).toEqual([['pods', []]]);
    expect(parseResourceArgs(['deploy', 'a', 'b']).map((s) => [s.resource.resource, s.names])).toEqual([['deployments', ['a', 'b']]]);
    expect(parseResourceArgs(['pod/a', 'svc/b', 'pod/c']).map((s) => [s.resource.resource, s.names])).toEqual([
      ['pods', ['a', 'c']],
      ['services', ['b']],
    ]);
    // kubectl's order; types added to the category later (jobs, …) come after these.
    expect(parseResourceArgs(['all']).map((s) => s.resource.resource).slice(0, 5)).toEqual(['pods', 'services', 'daemonsets', 'deployments', 'replicasets']);
    expect(parseResourceArgs(['deployments.apps']).map((s) => s.resource.resource)).toEqual(['deployments']);
    expect(() => parseResourceArgs(['nope'])).toThrow('the server doesn\'t have a resource type "nope"');
    expect(() => parseResourceArgs(['pods,svc', 'x'])).toThrow('single resource type');
  });
  it('parses flags values', () => {
    expect(parseOutput('wide')).toEqual({ output: 'wide' });
    expect(() => parseOutput('xml')).toThrow('unable to match a printer');
    expect(parseCascade('false')).toBe('Orphan');
    expect(parseCascade('foreground')).toBe('Foreground');
    expect(parseCascade(undefined)).toBe('Background');
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('0')).toBeUndefined();
    expect(() => parseDuration('soon')).toThrow('invalid duration');
  });
  it('splits multi-document YAML and Lists, and rejects objects without kind', () => {
    const docs = parseManifests('---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n---\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n', 'f');
    expect(docs.map((d) => d.object.kind)).toEqual(['ConfigMap', 'Service']);
    expect(() => parseManifests('metadata: {name: x}\n', 'f.yaml')).toThrow('apiVersion not set, kind not set');
  });
});

describe('rollout status messages', () => {
  const d = (generation: number, status: Deployment['status'], replicas = 3): Deployment => ({ metadata: { name: 'nginx', generation }, spec: { replicas, selector: {}, template: {} }, status });
  test.each([
    [d(2, { observedGeneration: 1 }), false, 'Waiting for deployment spec update to be observed...'],
    [d(2, { observedGeneration: 2, updatedReplicas: 1, replicas: 1 }), false, 'Waiting for deployment "nginx" rollout to finish: 1 out of 3 new replicas have been updated...'],
    [d(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 4 }), false, 'Waiting for deployment "nginx" rollout to finish: 1 old replicas are pending termination...'],
    [d(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 }), false, 'Waiting for deployment "nginx" rollout to finish: 2 of 3 updated replicas are available...'],
    [d(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }), true, 'deployment "nginx" successfully rolled out'],
  ])('%#', (dep, done, message) => {
    expect(deploymentRolloutState(dep)).toEqual({ done, message });
  });
  it('fails on ProgressDeadlineExceeded', () => {
    expect(() => deploymentRolloutState(d(1, { observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }))).toThrow('exceeded its progress deadline');
  });
});

describe('why pending', () => {
  const base: Pod = { metadata: { name: 'p', namespace: 'default', creationTimestamp: new Date(0).toISOString() }, spec: { containers: [{ name: 'c', image: '127.0.0.1:5000/nginx:9' }] }, status: { phase: 'Pending' } };
  const ev = (reason: string, message: string, type = 'Warning'): Event => ({ metadata: {}, involvedObject: {}, reason, message, type, lastTimestamp: new Date(1000).toISOString() });

  it('explains a scheduling failure per node with a hint', () => {
    const f = explainPod(base, [ev('FailedScheduling', '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) were unschedulable.')]);
    expect(f[0].area).toBe('scheduling');
    expect(f[0].details).toEqual(['1 Insufficient cpu', '2 node(s) were unschedulable']);
    expect(f[0].hint).toContain('uncordon');
    expect(schedulingReasons('0/1 nodes are available: 1 node(s) didn\'t match Pod\'s node affinity/selector.')).toEqual(["1 node(s) didn't match Pod's node affinity/selector"]);
  });
  it('says when no scheduler has looked at the pod', () => {
    expect(explainPod(base, [])[0].summary).toContain('no scheduler has reported');
  });
  it('explains an image pull failure with the event message', () => {
    const pod: Pod = {
      ...base,
      spec: { ...base.spec!, nodeName: 'n1' },
      status: { phase: 'Pending', containerStatuses: [{ name: 'c', image: '127.0.0.1:5000/nginx:9', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }] },
    };
    const node: Node = { metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
    const f = explainPod(pod, [ev('Failed', 'Failed to pull image "127.0.0.1:5000/nginx:9": not found')], node);
    expect(f.map((x) => x.area)).toEqual(['image']);
    expect(f[0].details).toContain('Failed to pull image "127.0.0.1:5000/nginx:9": not found');
    expect(renderExplanation(pod, f)).toContain('[image] container c: cannot pull image 127.0.0.1:5000/nginx:9 (ImagePullBackOff)');
  });
  it('explains back-off, failing readiness and a NotReady node', () => {
    const pod: Pod = {
      ...base,
      spec: { ...base.spec!, nodeName: 'n1', containers: [{ name: 'c', image: 'i', readinessProbe: { httpGet: { port: 80, path: '/' } } }, { name: 'd', image: 'i' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { running: {} } },
          { name: 'd', image: 'i', imageID: '', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 3 } } },
        ],
      },
    };
    const node: Node = { metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] } };
    const f = explainPod(pod, [ev('Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 500')], node);
    expect(f.map((x) => x.area)).toEqual(['node', 'probe', 'container']);
    expect(f[1].details).toEqual(['Readiness probe failed: HTTP probe failed with statuscode: 500']);
    expect(f[2].summary).toContain('CrashLoopBackOff');
    expect(f[2].details).toContain('last exit: code 3');
    expect(f[2].hint).toContain('--previous');
  });
});

describe('drain and top helpers', () => {
  const pod = (name: string, owner?: string, extra: Partial<Pod['spec']> = {}): Pod => ({
    metadata: { name, namespace: 'default', ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: owner, name: 'o', uid: 'u', controller: true }] : [] },
    spec: { containers: [], ...extra },
    status: { phase: 'Running' },
  });
  it('refuses DaemonSet and unmanaged pods unless told, evicts the rest', () => {
    const pods = [pod('rs', 'ReplicaSet'), pod('ds', 'DaemonSet'), pod('bare')];
    expect(drainPlan(pods, {}).errors.length).toBe(2);
    const plan = drainPlan(pods, { ignoreDaemonSets: true, force: true });
    expect(plan.evict.map((p) => p.metadata?.name)).toEqual(['rs', 'bare']);
    expect(plan.skipped.map((p) => p.metadata?.name)).toEqual(['ds']);
  });
  it('reads metrics quantities and prints kubectl cells', () => {
    expect(parseCpuNano('1234567n')).toBe(1234567);
    expect(parseCpuNano('250m')).toBe(250e6);
    expect(parseBytes('5120Ki')).toBe(5 * 1024 * 1024);
    expect(cpuCell(1234567)).toBe('2m');
    expect(memoryCell(5 * 1024 * 1024)).toBe('5Mi');
  });
});
