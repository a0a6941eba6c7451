import { Resources, allResources } from '../../lib/api/resources';
import { tableColumns, toTable } from '.';
import { ageSince, formatAge } from './common';
import { formatEndpoints, nodeRoles, nodeStatus } from './core';
import { podStatusSummary } from './pod';
import type { Node, Pod } from 'kubernetes-types/core/v1';

const now = Date.parse('2026-11-23T12:00:00Z');
const ago = (seconds: number): string => new Date(now - seconds * 1000).toISOString();
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('formatAge (HumanDuration)', () => {
  it.each<[number, string]>([
    [-5 * S, '<invalid>'],
    [-1500, '0s'],
    [0, '0s'],
    [9 * S, '9s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [5 * M + 3 * S, '5m3s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [3 * H + 5 * M, '3h5m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [2 * D + 3 * H, '2d3h'],
    [8 * D, '8d'],
    [400 * D, '400d'],
    [730 * D, '2y'],
    [735 * D, '2y5d'],
    [3000 * D, '8y'],
  ])('%d ms → %s', (ms, want) => expect(formatAge(ms)).toBe(want));

  it('ageSince', () => {
    expect(ageSince(ago(9), now)).toBe('9s');
    expect(ageSince(undefined, now)).toBe('<unknown>');
    expect(ageSince('not a date', now)).toBe('<unknown>');
  });
});

type PodCase = [string, Pod, { status: string; ready: string; restarts: number | string }];
const base = (status: Pod['status'], extra: Partial<Pod> = {}): Pod => ({
  metadata: { name: 'p', creationTimestamp: ago(60) },
  spec: { containers: [{ name: 'a', image: 'x' }] },
  status,
  ...extra,
});

const podCases: PodCase[] = [
  ['pending, no statuses', base({ phase: 'Pending' }), { status: 'Pending', ready: '0/1', restarts: 0 }],
  [
    'container creating',
    base({ phase: 'Pending', containerStatuses: [{ name: 'a', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }),
    { status: 'ContainerCreating', ready: '0/1', restarts: 0 },
  ],
  [
    'running and ready',
    base({ phase: 'Running', containerStatuses: [{ name: 'a', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: ago(30) } } }] }),
    { status: 'Running', ready: '1/1', restarts: 0 },
  ],
  [
    'crash loop with a recent restart',
    base({
      phase: 'Running',
      containerStatuses: [
        {
          name: 'a',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, finishedAt: ago(65) } },
        },
      ],
    }),
    { status: 'CrashLoopBackOff', ready: '0/1', restarts: '3 (65s ago)' },
  ],
  [
    'completed',
    base({ phase: 'Succeeded', containerStatuses: [{ name: 'a', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }),
    { status: 'Completed', ready: '0/1', restarts: 0 },
  ],
  [
    'error',
    base({ phase: 'Failed', containerStatuses: [{ name: 'a', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 2, reason: 'Error' } } }] }),
    { status: 'Error', ready: '0/1', restarts: 0 },
  ],
  [
    'exit code without reason',
    base({ phase: 'Failed', containerStatuses: [{ name: 'a', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137 } } }] }),
    { status: 'ExitCode:137', ready: '0/1', restarts: 0 },
  ],
  [
    'image pull back-off',
    base({ phase: 'Pending', containerStatuses: [{ name: 'a', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }] }),
    { status: 'ImagePullBackOff', ready: '0/1', restarts: 0 },
  ],
  [
    'init container running',
    base(
      { phase: 'Pending', initContainerStatuses: [{ name: 'i', image: 'x', imageID: '', ready: false, restartCount: 0, state: { running: {} } }] },
      { spec: { initContainers: [{ name: 'i' }], containers: [{ name: 'a' }] } },
    ),
    { status: 'Init:0/1', ready: '0/1', restarts: 0 },
  ],
  [
    'init container failed',
    base(
      { phase: 'Pending', initContainerStatuses: [{ name: 'i', image: 'x', imageID: '', ready: false, restartCount: 2, state: { terminated: { exitCode: 1, reason: 'Error' } } }] },
      { spec: { initContainers: [{ name: 'i' }], containers: [{ name: 'a' }] } },
    ),
    { status: 'Init:Error', ready: '0/1', restarts: 2 },
  ],
  [
    'init crash loop',
    base(
      { phase: 'Pending', initContainerStatuses: [{ name: 'i', image: 'x', imageID: '', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
      { spec: { initContainers: [{ name: 'i' }], containers: [{ name: 'a' }] } },
    ),
    { status: 'Init:CrashLoopBackOff', ready: '0/1', restarts: 4 },
  ],
  [
    'terminating',
    base(
      { phase: 'Running', containerStatuses: [{ name: 'a', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] },
      { metadata: { name: 'p', deletionTimestamp: ago(1) } },
    ),
    { status: 'Terminating', ready: '1/1', restarts: 0 },
  ],
  [
    'one of two containers completed, the other running',
    base(
      {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [
          { name: 'a', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: {} } },
          { name: 'b', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        ],
      },
      { spec: { containers: [{ name: 'a' }, { name: 'b' }] } },
    ),
    { status: 'NotReady', ready: '1/2', restarts: 0 },
  ],
  ['no status at all', { metadata: { name: 'p' } }, { status: '', ready: '0/0', restarts: 0 }],
];

describe('podStatusSummary', () => {
  it.each(podCases)('%s', (_name, pod, want) => expect(podStatusSummary(pod, now)).toEqual(want));
});

describe('toTable', () => {
  it('pods: columns, cells and PartialObjectMetadata rows', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'nginx-1', namespace: 'default', uid: 'u1', resourceVersion: '5', labels: { app: 'nginx' }, creationTimestamp: ago(9) },
      spec: { nodeName: 'node-1', containers: [{ name: 'nginx', image: 'nginx:1.25' }] },
      status: {
        phase: 'Running',
        podIP: '10.244.0.5',
        containerStatuses: [{ name: 'nginx', ready: true, restartCount: 0, state: { running: {} } }],
      },
    };
    const table = toTable(Resources.pods, [pod], { now });
    expect(table.kind).toBe('Table');
    expect(table.apiVersion).toBe('meta.k8s.io/v1');
    expect(table.columnDefinitions!.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
      ['Nominated Node', 1],
      ['Readiness Gates', 1],
    ]);
    expect(table.columnDefinitions![0].format).toBe('name');
    expect(table.rows).toEqual([
      {
        cells: ['nginx-1', '1/1', 'Running', 0, '9s', '10.244.0.5', 'node-1', '<none>', '<none>'],
        object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata },
      },
    ]);
  });

  it('deployments', () => {
    const d = {
      metadata: { name: 'nginx', creationTimestamp: ago(11) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'nginx' } }, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }, { name: 'log', image: 'busybox' }] } } },
      status: { readyReplicas: 3, updatedReplicas: 3, availableReplicas: 3 },
    };
    const t = toTable(Resources.deployments, [d], { now });
    expect(t.columnDefinitions!.map((c) => c.name)).toEqual(['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
    expect(t.rows[0].cells).toEqual(['nginx', '3/3', 3, 3, '11s', 'nginx,log', 'nginx:1.25,busybox', 'app=nginx']);
    const fresh = toTable(Resources.deployments, [{ metadata: { name: 'x', creationTimestamp: ago(1) }, spec: { replicas: 2 } }], { now });
    expect(fresh.rows[0].cells).toEqual(['x', '0/2', 0, 0, '1s', '', '', '<none>']);
  });

  it('replicasets and daemonsets', () => {
    const rs = { metadata: { name: 'nginx-abc', creationTimestamp: ago(300) }, spec: { replicas: 3, selector: { matchLabels: { app: 'nginx', 'pod-template-hash': 'abc' } } }, status: { replicas: 3, readyReplicas: 2 } };
    expect(toTable(Resources.replicasets, [rs], { now }).rows[0].cells).toEqual(['nginx-abc', 3, 3, 2, '5m', '', '', 'app=nginx,pod-template-hash=abc']);
    const ds = {
      metadata: { name: 'agent', creationTimestamp: ago(2 * 86400) },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'a', image: 'agent:1' }] } } },
      status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 },
    };
    const t = toTable(Resources.daemonsets, [ds], { now });
    expect(t.columnDefinitions!.map((c) => c.name)).toEqual(['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers', 'Images', 'Selector']);
    expect(t.rows[0].cells).toEqual(['agent', 2, 2, 1, 2, 1, 'kubernetes.io/os=linux', '2d', 'a', 'agent:1', 'app=agent']);
  });

  it.each([
    ['ClusterIP', { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ port: 80, protocol: 'TCP' }], selector: { app: 'nginx' } }, {}, ['ClusterIP', '10.96.0.10', '<none>', '80/TCP'], 'app=nginx'],
    ['NodePort', { type: 'NodePort', clusterIP: '10.96.0.11', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP', nodePort: 30053 }] }, {}, ['NodePort', '10.96.0.11', '<none>', '80:30080/TCP,53:30053/UDP'], '<none>'],
    ['LoadBalancer pending', { type: 'LoadBalancer', clusterIP: '10.96.0.12', ports: [{ port: 443, nodePort: 31443 }] }, {}, ['LoadBalancer', '10.96.0.12', '<pending>', '443:31443/TCP'], '<none>'],
    ['LoadBalancer with ingress', { type: 'LoadBalancer', clusterIP: '10.96.0.12', ports: [{ port: 443, nodePort: 31443 }] }, { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } }, ['LoadBalancer', '10.96.0.12', '1.2.3.4', '443:31443/TCP'], '<none>'],
    ['headless', { clusterIP: 'None', ports: [] }, {}, ['ClusterIP', 'None', '<none>', '<none>'], '<none>'],
    ['ExternalName', { type: 'ExternalName', externalName: 'example.com' }, {}, ['ExternalName', '<none>', 'example.com', '<none>'], '<none>'],
  ])('services: %s', (_name, spec, status, cells, selector) => {
    const t = toTable(Resources.services, [{ metadata: { name: 's', creationTimestamp: ago(5) }, spec, status }], { now });
    expect(t.columnDefinitions!.map((c) => c.name)).toEqual(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
    expect(t.rows[0].cells).toEqual(['s', ...cells, '5s', selector]);
  });

  it('endpoints', () => {
    expect(formatEndpoints({ subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }] }] })).toBe('10.0.0.1:80,10.0.0.2:80');
    expect(formatEndpoints({ subsets: [{ addresses: [{ ip: 'a' }, { ip: 'b' }, { ip: 'c' }, { ip: 'd' }, { ip: 'e' }], ports: [{ port: 1 }] }] })).toBe('a:1,b:1,c:1 + 2 more...');
    expect(formatEndpoints({ subsets: [{ addresses: [{ ip: '10.0.0.1' }] }] })).toBe('10.0.0.1');
    expect(formatEndpoints({})).toBe('<none>');
    const t = toTable(Resources.endpoints, [{ metadata: { name: 'e', creationTimestamp: ago(1) } }], { now });
    expect(t.rows[0].cells).toEqual(['e', '<none>', '1s']);
  });

  const node = (conditions: Array<{ type: string; status: string }>, spec: Record<string, unknown> = {}, labels: Record<string, string> = {}): Node => ({
    metadata: { name: 'node-1', labels, creationTimestamp: ago(13) },
    spec,
    status: {
      conditions,
      addresses: [{ type: 'InternalIP', address: '192.168.1.5' }],
      nodeInfo: { kubeletVersion: 'v1.30.0', osImage: 'Debian GNU/Linux 12', kernelVersion: '6.1.0', containerRuntimeVersion: 'containerd://1.7.0', architecture: 'amd64', bootID: '', machineID: '', kubeProxyVersion: '', operatingSystem: 'linux', systemUUID: '' },
    },
  });
  it.each<[string, Node, string]>([
    ['ready', node([{ type: 'Ready', status: 'True' }]), 'Ready'],
    ['not ready', node([{ type: 'Ready', status: 'False' }]), 'NotReady'],
    ['ready unknown', node([{ type: 'Ready', status: 'Unknown' }]), 'NotReady'],
    ['no ready condition', node([]), 'Unknown'],
    ['cordoned', node([{ type: 'Ready', status: 'True' }], { unschedulable: true }), 'Ready,SchedulingDisabled'],
  ])('node status: %s', (_name, n, want) => expect(nodeStatus(n)).toBe(want));

  it('nodes', () => {
    const n = node([{ type: 'Ready', status: 'True' }], {}, { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'edge', other: 'x' });
    expect(nodeRoles(n)).toEqual(['control-plane', 'edge', 'worker']);
    const t = toTable(Resources.nodes, [n], { now });
    expect(t.columnDefinitions!.map((c) => `${c.name}:${c.priority}`)).toEqual([
      'Name:0', 'Status:0', 'Roles:0', 'Age:0', 'Version:0', 'Internal-IP:1', 'External-IP:1', 'OS-Image:1', 'Kernel-Version:1', 'Container-Runtime:1',
    ]);
    expect(t.rows[0].cells).toEqual(['node-1', 'Ready', 'control-plane,edge,worker', '13s', 'v1.30.0', '192.168.1.5', '<none>', 'Debian GNU/Linux 12', '6.1.0', 'containerd://1.7.0']);
    const bare = toTable(Resources.nodes, [{ metadata: { name: 'n2' } }], { now });
    expect(bare.rows[0].cells).toEqual(['n2', 'Unknown', '<none>', '<unknown>', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  });

  it('namespaces, configmaps, secrets, serviceaccounts, leases', () => {
    const m = { name: 'x', creationTimestamp: ago(3 * 3600) };
    expect(toTable(Resources.namespaces, [{ metadata: m, status: { phase: 'Active' } }], { now }).rows[0].cells).toEqual(['x', 'Active', '3h']);
    expect(toTable(Resources.configmaps, [{ metadata: m, data: { a: '1', b: '2' }, binaryData: { c: 'eA==' } }], { now }).rows[0].cells).toEqual(['x', 3, '3h']);
    expect(toTable(Resources.secrets, [{ metadata: m, type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } }], { now }).rows[0].cells).toEqual(['x', 'kubernetes.io/tls', 2, '3h']);
    expect(toTable(Resources.serviceaccounts, [{ metadata: m }], { now }).rows[0].cells).toEqual(['x', 0, '3h']);
    expect(toTable(Resources.leases, [{ metadata: m, spec: { holderIdentity: 'node-1' } }], { now }).rows[0].cells).toEqual(['x', 'node-1', '3h']);
    expect(tableColumns(Resources.secrets).map((c) => c.name)).toEqual(['Name', 'Type', 'Data', 'Age']);
  });

  it('events', () => {
    const ev = {
      metadata: { name: 'nginx.17a', namespace: 'default', creationTimestamp: ago(100) },
      involvedObject: { kind: 'Deployment', name: 'nginx', namespace: 'default' },
      reason: 'ScalingReplicaSet',
      message: 'Scaled up replica set nginx-48ccb87g1f to 3 ',
      source: { component: 'deployment-controller' },
      firstTimestamp: ago(100),
      lastTimestamp: ago(5),
      count: 2,
      type: 'Normal',
    };
    const t = toTable(Resources.events, [ev], { now });
    expect(t.columnDefinitions!.map((c) => `${c.name}:${c.priority}`)).toEqual([
      'Last Seen:0', 'Type:0', 'Reason:0', 'Object:0', 'Subobject:1', 'Source:1', 'Message:0', 'First Seen:1', 'Count:1', 'Name:1',
    ]);
    expect(t.rows[0].cells).toEqual(['5s', 'Normal', 'ScalingReplicaSet', 'deployment/nginx', '', 'deployment-controller', 'Scaled up replica set nginx-48ccb87g1f to 3', '100s', 2, 'nginx.17a']);
    const newApi = toTable(Resources.events, [{ metadata: { name: 'e' }, involvedObject: { kind: 'Pod' }, eventTime: ago(30), reportingComponent: 'kubelet', reportingInstance: 'node-1' }], { now });
    expect(newApi.rows[0].cells).toEqual(['30s', '', '', 'pod', '', 'kubelet, node-1', '', '30s', 1, 'e']);
  });

  // metav1.Table's columnDefinitions and a row's object (a RawExtension by value) have no omitempty:
  // Go writes them as null when kube's asTable leaves them unset (no headers, includeObject=None).
  it('options: no column definitions (null), whole objects, no objects (null)', () => {
    const obj = { metadata: { name: 'x' }, data: {} };
    expect(toTable(Resources.configmaps, [obj], { now, includeColumnDefinitions: false }).columnDefinitions).toBeNull();
    expect(toTable(Resources.configmaps, [obj], { now, includeObject: 'Object' }).rows[0].object).toEqual(obj);
    expect(toTable(Resources.configmaps, [obj], { now, includeObject: 'None' }).rows[0].object).toBeNull();
  });

  it.each(allResources.map((r) => [r.resource, r] as const))('%s: malformed objects still give rows of the right width', (_n, r) => {
    const junk: unknown[] = [{}, { metadata: 'x' }, { spec: 'x', status: [] }, { metadata: { name: 'a' }, spec: { containers: 'x', ports: {} } }, null, 5];
    const t = toTable(r, junk, { now });
    expect(t.rows).toHaveLength(4);
    for (const row of t.rows) expect(row.cells).toHaveLength(t.columnDefinitions!.length);
  });
});
