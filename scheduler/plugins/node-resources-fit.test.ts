import { leastRequestedScore, NodeResourcesFit, ReasonInsufficientCpu, ReasonInsufficientMemory, ReasonTooManyPods } from './node-resources-fit';
import { makePod, nodeInfo, podInfo } from '../../test/fixtures/scheduler';
import { CycleState } from '../framework/types';
import { newPodInfo } from '../framework/pod-info';

describe('NodeResourcesFit filter', () => {
  const plugin = new NodeResourcesFit();
  const state = new CycleState();

  test('fits when requests of the pods there plus this one stay within allocatable', () => {
    const node = nodeInfo('n', { cpu: '2', memory: '4Gi' }, [makePod('a', { cpu: '1', memory: '1Gi' })]);
    expect(plugin.filter(state, podInfo('p', { cpu: '1', memory: '3Gi' }), node)).toBeNull();
  });

  test('insufficient cpu and memory are both reported', () => {
    const node = nodeInfo('n', { cpu: '2', memory: '4Gi' }, [makePod('a', { cpu: '1500m', memory: '3Gi' })]);
    expect(plugin.filter(state, podInfo('p', { cpu: '600m' }), node)).toEqual({ code: 'Unschedulable', reasons: [ReasonInsufficientCpu] });
    expect(plugin.filter(state, podInfo('p', { cpu: '600m', memory: '2Gi' }), node)?.reasons).toEqual([ReasonInsufficientCpu, ReasonInsufficientMemory]);
  });

  test('the pod count limit', () => {
    const node = nodeInfo('n', { pods: '2' }, [makePod('a'), makePod('b')]);
    expect(plugin.filter(state, podInfo('p'), node)?.reasons).toEqual([ReasonTooManyPods]);
  });

  test('a pod without requests fits a full node (only the pod count limits it)', () => {
    const node = nodeInfo('n', { cpu: '1' }, [makePod('a', { cpu: '1' })]);
    expect(plugin.filter(state, podInfo('p'), node)).toBeNull();
  });

  test('extended resources and ephemeral-storage', () => {
    const node = nodeInfo('n', {}, []);
    node.setNode({ ...node.node, status: { ...node.node.status, allocatable: { ...node.node.status!.allocatable, 'nvidia.com/gpu': '2', 'ephemeral-storage': '10Gi' } } });
    const gpuPod = (name: string, gpus: string) => {
      const p = makePod(name);
      p.spec!.containers[0].resources = { limits: { 'nvidia.com/gpu': gpus } };
      return newPodInfo(p);
    };
    node.addPod(gpuPod('a', '1'));
    expect(plugin.filter(state, gpuPod('p', '1'), node)).toBeNull();
    expect(plugin.filter(state, gpuPod('q', '2'), node)?.reasons).toEqual(['Insufficient nvidia.com/gpu']);
    expect(plugin.filter(state, gpuPod('r', '1'), nodeInfo('plain'))?.reasons).toEqual(['Insufficient nvidia.com/gpu']);
    const disk = makePod('d');
    disk.spec!.containers[0].resources = { requests: { 'ephemeral-storage': '20Gi' } };
    expect(plugin.filter(state, newPodInfo(disk), node)?.reasons).toEqual(['Insufficient ephemeral-storage']);
  });

  test('init containers: the largest of them or the sum of the app containers counts', () => {
    const pod = makePod('p', { cpu: '500m' });
    pod.spec!.initContainers = [{ name: 'init', image: 'x', resources: { requests: { cpu: '1500m' } } }];
    const node = nodeInfo('n', { cpu: '1' });
    expect(plugin.filter(state, newPodInfo(pod), node)?.reasons).toEqual([ReasonInsufficientCpu]);
  });
});

describe('NodeResourcesFit score (LeastAllocated)', () => {
  const plugin = new NodeResourcesFit();
  const state = new CycleState();
  test('leastRequestedScore', () => {
    expect(leastRequestedScore(0, 1000)).toBe(100);
    expect(leastRequestedScore(250, 1000)).toBe(75);
    expect(leastRequestedScore(1000, 1000)).toBe(0);
    expect(leastRequestedScore(2000, 1000)).toBe(0);
    expect(leastRequestedScore(1, 0)).toBe(0);
  });
  test('the emptier node scores higher', () => {
    const empty = nodeInfo('empty', { cpu: '4', memory: '8Gi' });
    const busy = nodeInfo('busy', { cpu: '4', memory: '8Gi' }, [makePod('a', { cpu: '3', memory: '6Gi' })]);
    const pod = podInfo('p', { cpu: '1', memory: '2Gi' });
    expect(plugin.score(state, pod, empty)).toBe(75);
    expect(plugin.score(state, pod, busy)).toBe(0);
  });
  test('pods without requests count with the default 100m / 200Mi', () => {
    const node = nodeInfo('n', { cpu: '1', memory: '2000Mi' });
    expect(plugin.score(state, podInfo('p'), node)).toBe(90);
  });
});
