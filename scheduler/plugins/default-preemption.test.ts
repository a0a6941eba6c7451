import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { makePod, nodeInfo, podInfo } from '../../test/fixtures/scheduler';
import type { NodeInfo } from '../framework/node-info';
import { newPodInfo, type PodInfo } from '../framework/pod-info';
import { CycleState, noObjectListers, snapshotOf, unschedulable, unresolvable } from '../framework/types';
import type { PreemptionCandidate, Status } from '../framework/types';
import { DefaultPreemption, NoVictimsMessage, pickCandidate, selectVictimsOnNode } from './default-preemption';
import { NodeResourcesFit } from './node-resources-fit';

const fit = new NodeResourcesFit();
const state = new CycleState();
const fitsFor = (pod: PodInfo) => (node: NodeInfo) => fit.filter(state, pod, node) === null;
const names = (c: PreemptionCandidate | undefined) => c?.victims.map((v) => v.pod.metadata?.name);
const started = (minutesAgo: number) => new Date(Date.parse('2026-12-05T12:00:00Z') - minutesAgo * 60_000).toISOString();

function running(name: string, cpu: string, priority: number, o: { startedMinutesAgo?: number; labels?: Record<string, string>; deleting?: boolean } = {}) {
  return { ...makePod(name, { cpu, priority, labels: o.labels, deleting: o.deleting }), status: { phase: 'Running', startTime: started(o.startedMinutesAgo ?? 10) } };
}

describe('selectVictimsOnNode', () => {
  const high = podInfo('high', { cpu: '2', priority: 1000 });

  test('the fewest lower-priority pods that make room, least important first', () => {
    const node = nodeInfo('n', { cpu: '4' }, [running('a', '1', 10), running('b', '1', 5), running('c', '1', 1), running('d', '1', 2000)]);
    // 1 cpu free once d (higher) stays: two of a, b, c must go; a (priority 10) is spared.
    expect(names(selectVictimsOnNode(high, node, [], fitsFor(high)))).toEqual(['b', 'c']);
    // The node itself is untouched.
    expect(node.pods.size).toBe(4);
  });

  test('none when only higher- or equal-priority pods are in the way', () => {
    const node = nodeInfo('n', { cpu: '2' }, [running('a', '1', 1000), running('b', '1', 5000)]);
    expect(selectVictimsOnNode(high, node, [], fitsFor(high))).toBeUndefined();
  });

  test('none when evicting every lower-priority pod is still not enough', () => {
    const node = nodeInfo('n', { cpu: '3' }, [running('a', '1', 1), running('big', '2', 5000)]);
    expect(selectVictimsOnNode(high, node, [], fitsFor(high))).toBeUndefined();
  });

  test('pods a PodDisruptionBudget protects are reprieved first; a violation is counted only when unavoidable', () => {
    const pdb: PodDisruptionBudget = { metadata: { name: 'db', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } } }, status: { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } };
    const node = nodeInfo('n', { cpu: '3' }, [running('db-0', '1', 1, { labels: { app: 'db' } }), running('web-0', '1', 1), running('web-1', '1', 1)]);
    const spared = selectVictimsOnNode(high, node, [pdb], fitsFor(high));
    expect(names(spared)).toEqual(['web-0', 'web-1']);
    expect(spared?.pdbViolations).toBe(0);
    const all = podInfo('all', { cpu: '3', priority: 1000 });
    expect(selectVictimsOnNode(all, node, [pdb], fitsFor(all))?.pdbViolations).toBe(1);
  });
});

describe('pickCandidate', () => {
  const victim = (name: string, priority: number, startedMinutesAgo = 10) => newPodInfo(running(name, '1', priority, { startedMinutesAgo }));
  const c = (node: string, victims: PodInfo[], pdbViolations = 0): PreemptionCandidate => ({ nodeName: node, victims, pdbViolations });
  test.each<[string, PreemptionCandidate[], string]>([
    ['fewest budget violations', [c('a', [victim('x', 1)], 1), c('b', [victim('y', 50), victim('z', 50)], 0)], 'b'],
    ['lowest most-important victim', [c('a', [victim('x', 20)]), c('b', [victim('y', 5), victim('z', 5)])], 'b'],
    ['lowest sum of priorities', [c('a', [victim('x', 5), victim('w', 5)]), c('b', [victim('y', 5), victim('z', 1)])], 'b'],
    ['fewest victims', [c('a', [victim('x', 5), victim('w', 0)]), c('b', [victim('y', 5)])], 'b'],
    ['the most recently started most-important victims', [c('a', [victim('x', 5, 60)]), c('b', [victim('y', 5, 1)])], 'b'],
  ])('%s', (_what, candidates, want) => {
    expect(pickCandidate(candidates)?.nodeName).toBe(want);
  });
});

describe('DefaultPreemption.postFilter', () => {
  const plugin = new DefaultPreemption();
  const statuses = (...nodes: Array<[string, Status]>) => new Map(nodes);

  test('picks a node among those a change could fix, never an unresolvable one', () => {
    const pod = podInfo('high', { cpu: '2', priority: 1000 });
    const a = nodeInfo('a', { cpu: '2' }, [running('a1', '2', 100)]);
    const b = nodeInfo('b', { cpu: '2' }, [running('b1', '2', 1)]);
    const r = plugin.postFilter(state, pod, snapshotOf([a, b], noObjectListers), statuses(['a', unschedulable('Insufficient cpu')], ['b', unresolvable("node(s) didn't match Pod's node affinity/selector")]), fitsFor(pod));
    expect('victims' in r && r.nodeName).toBe('a');
  });

  test('preemptionPolicy Never, and no victims anywhere, are reasons, not candidates', () => {
    const never = podInfo('never', { cpu: '2', priority: 1000 });
    never.pod.spec!.preemptionPolicy = 'Never';
    const node = nodeInfo('a', { cpu: '2' }, [running('a1', '2', 1)]);
    const st = statuses(['a', unschedulable('Insufficient cpu')]);
    expect(plugin.postFilter(state, never, snapshotOf([node]), st, fitsFor(never))).toEqual(unresolvable('not eligible due to preemptionPolicy=Never.'));
    const low = podInfo('low', { cpu: '2', priority: 0 });
    expect(plugin.postFilter(state, low, snapshotOf([node]), st, fitsFor(low))).toEqual(unschedulable(NoVictimsMessage));
  });

  test('a pod that already preempted waits while its victims terminate', () => {
    const pod = newPodInfo({ ...makePod('high', { cpu: '2', priority: 1000 }), status: { nominatedNodeName: 'a' } });
    const node = nodeInfo('a', { cpu: '2' }, [running('a1', '2', 1, { deleting: true })]);
    expect(plugin.postFilter(state, pod, snapshotOf([node]), statuses(['a', unschedulable('Insufficient cpu')]), fitsFor(pod))).toEqual(unschedulable('not eligible due to a terminating pod on the nominated node.'));
  });
});
