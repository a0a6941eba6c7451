// The cluster view's arithmetic: what each node's pods request against its allocatable, with the parsed
// quantities kept per object (an object the store hands back unchanged is not parsed again).
import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { KubeObject } from './api';
import { nodeSummaries as summaries, podRequests } from './topology';

/** The store's objects are KubeObjects; these are typed as what they are. */
const nodeSummaries = (nodes: Node[], pods: Pod[]) => summaries(nodes as unknown as KubeObject[], pods as unknown as KubeObject[]);

const node = (name: string, cpu: string, memory: string): Node => ({ metadata: { name }, status: { capacity: { cpu, memory, pods: '110' }, allocatable: { cpu, memory, pods: '100' } } });
const pod = (name: string, nodeName: string, cpu: string, memory: string, phase = 'Running'): Pod => ({
  metadata: { name, namespace: 'default' },
  spec: { nodeName, containers: [{ name: 'c', resources: { requests: { cpu, memory } } }] },
  status: { phase },
});

test('each node sums the requests of its active pods', () => {
  const nodes = [node('n-10', '4', '8Gi'), node('n-2', '2', '4Gi')];
  const pods = [pod('a', 'n-2', '250m', '64Mi'), pod('b', 'n-2', '0.5', '128Mi'), pod('done', 'n-2', '1', '1Gi', 'Succeeded'), pod('c', 'n-10', '100m', '1Gi')];
  const [n2, n10] = nodeSummaries(nodes, pods);
  expect(n2.name).toBe('n-2'); // natural order
  expect(n2.requested).toEqual({ cpuMilli: 750, memoryBytes: 192 * 2 ** 20, pods: 2 });
  expect(n2.allocatable).toEqual({ cpuMilli: 2000, memoryBytes: 4 * 2 ** 30, pods: 100 });
  expect(n2.capacity.pods).toBe(110);
  expect(n10.requested).toEqual({ cpuMilli: 100, memoryBytes: 2 ** 30, pods: 1 });
  // Summaries made again from the same objects agree; a changed pod (a new object) is read anew.
  expect(nodeSummaries(nodes, pods)[0].requested).toEqual(n2.requested);
  const changed = [pod('a', 'n-2', '1', '64Mi'), ...pods.slice(1)];
  expect(nodeSummaries(nodes, changed)[0].requested.cpuMilli).toBe(1500);
});

test('an init container larger than the containers sets the request', () => {
  const p = pod('i', 'n', '100m', '10Mi');
  p.spec!.initContainers = [{ name: 'init', resources: { requests: { cpu: '1', memory: '1Mi' } } }];
  expect(podRequests(p)).toEqual({ cpuMilli: 1000, memoryBytes: 10 * 2 ** 20 });
});
