import { SchedulerCache } from './cache';
import { makeNode, makePod } from '../test/fixtures/scheduler';
import { newPodInfo } from './framework/pod-info';

describe('SchedulerCache', () => {
  test('assumed pods count at once; confirmation does not double count; forget frees', () => {
    const c = new SchedulerCache();
    c.addNode(makeNode('n', { cpu: '2' }));
    const pod = makePod('p', { cpu: '1' });
    const info = newPodInfo(pod);
    c.assumePod(info, 'n');
    expect(c.getNode('n')?.requested.milliCpu).toBe(1000);
    expect(c.isAssumed(info.uid)).toBe(true);
    // the watch shows it bound
    c.addOrUpdatePod({ ...pod, spec: { ...pod.spec!, nodeName: 'n' } });
    expect(c.getNode('n')?.requested.milliCpu).toBe(1000);
    expect(c.isAssumed(info.uid)).toBe(false);
    c.forgetPod(info.uid); // a confirmed pod is not forgotten
    expect(c.getNode('n')?.requested.milliCpu).toBe(1000);

    const other = newPodInfo(makePod('q', { cpu: '500m' }));
    c.assumePod(other, 'n');
    c.forgetPod(other.uid);
    expect(c.getNode('n')?.requested.milliCpu).toBe(1000);
  });

  test('finished and deleted pods free their node', () => {
    const c = new SchedulerCache();
    c.addNode(makeNode('n'));
    const pod = makePod('p', { cpu: '1', nodeName: 'n' });
    c.addOrUpdatePod(pod);
    expect(c.getNode('n')?.pods.size).toBe(1);
    c.addOrUpdatePod({ ...pod, status: { phase: 'Succeeded' } });
    expect(c.getNode('n')?.pods.size).toBe(0);
    c.addOrUpdatePod(pod);
    c.removePod(pod.metadata!.uid!);
    expect(c.getNode('n')?.requested.milliCpu).toBe(0);
  });

  test('pods seen before their node are kept and counted when it arrives; removed nodes leave the list', () => {
    const c = new SchedulerCache();
    c.addOrUpdatePod(makePod('early', { cpu: '1', nodeName: 'late' }));
    expect(c.listNodes()).toHaveLength(0);
    c.addNode(makeNode('late'));
    c.addNode(makeNode('a'));
    expect(c.listNodes().map((n) => n.name)).toEqual(['a', 'late']);
    expect(c.getNode('late')?.requested.milliCpu).toBe(1000);
    c.removeNode('late');
    expect(c.listNodes().map((n) => n.name)).toEqual(['a']);
    expect(c.nodeCount).toBe(1);
  });

  test('snapshot: nodes holding pods with pod (anti-)affinity, assumed ones included at once', () => {
    const c = new SchedulerCache();
    c.addNode(makeNode('a'));
    c.addNode(makeNode('b'));
    const names = (ns: { name: string }[]) => ns.map((n) => n.name).sort();
    expect(names(c.snapshot().nodesWithPodAffinity)).toEqual([]);
    const anti = newPodInfo(
      makePod('anti', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: {} }] } } }),
    );
    const preferring = newPodInfo(
      makePod('pref', { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: {} } }] } } }),
    );
    c.assumePod(anti, 'a');
    c.assumePod(preferring, 'b');
    c.assumePod(newPodInfo(makePod('plain')), 'b');
    let snap = c.snapshot();
    expect(names(snap.nodesWithPodAffinity)).toEqual(['a', 'b']);
    expect(names(snap.nodesWithRequiredAntiAffinity)).toEqual(['a']);
    c.forgetPod(anti.uid);
    snap = c.snapshot();
    expect(names(snap.nodesWithPodAffinity)).toEqual(['b']);
    expect(names(snap.nodesWithRequiredAntiAffinity)).toEqual([]);
    c.removeNode('b');
    expect(names(c.snapshot().nodesWithPodAffinity)).toEqual([]);
    c.addNode(makeNode('b')); // back: its pods were kept
    expect(names(c.snapshot().nodesWithPodAffinity)).toEqual(['b']);
    // A bound pod seen through the watch counts as well, and leaves with its deletion.
    const watched = makePod('watched', { nodeName: 'a', affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: {} }] } } });
    c.addOrUpdatePod(watched);
    expect(names(c.snapshot().nodesWithRequiredAntiAffinity)).toEqual(['a']);
    c.removePod(watched.metadata!.uid!);
    expect(names(c.snapshot().nodesWithRequiredAntiAffinity)).toEqual([]);
  });
});
