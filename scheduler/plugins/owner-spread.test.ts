import { OwnerSpread, ZoneLabel } from './owner-spread';
import { makePod, nodeInfo, podInfo } from '../../test/fixtures/scheduler';
import { CycleState, NodeScore } from '../framework/types';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';

function scores(pod: PodInfo, nodes: NodeInfo[]): number[] {
  const plugin = new OwnerSpread();
  const state = new CycleState();
  const s: NodeScore[] = nodes.map((node) => ({ node, score: plugin.score(state, pod, node) }));
  plugin.normalizeScores(state, pod, s);
  return s.map((x) => x.score);
}

describe('OwnerSpread', () => {
  test("nodes with fewer of the owner's pods score higher; other owners' pods don't count", () => {
    const nodes = [
      nodeInfo('a', {}, [makePod('r1', { ownerUid: 'rs1' }), makePod('r2', { ownerUid: 'rs1' })]),
      nodeInfo('b', {}, [makePod('r3', { ownerUid: 'rs1' }), makePod('x', { ownerUid: 'other' })]),
      nodeInfo('c', {}, [makePod('y', { ownerUid: 'other' })]),
    ];
    expect(scores(podInfo('p', { ownerUid: 'rs1' }), nodes)).toEqual([0, 50, 100]);
  });
  test('no pods of the owner anywhere: all equal', () => {
    expect(scores(podInfo('p', { ownerUid: 'rs1' }), [nodeInfo('a'), nodeInfo('b')])).toEqual([100, 100]);
  });
  test('a pod without owner gets no preference', () => {
    expect(scores(podInfo('p'), [nodeInfo('a', {}, [makePod('r', { ownerUid: 'x' })]), nodeInfo('b')])).toEqual([0, 0]);
  });
  test('zones: the emptier zone wins even against an empty node in a fuller zone', () => {
    const z = (zone: string) => ({ labels: { [ZoneLabel]: zone } });
    const nodes = [
      nodeInfo('a1', z('a'), [makePod('r1', { ownerUid: 'rs' }), makePod('r2', { ownerUid: 'rs' })]),
      nodeInfo('a2', z('a')),
      nodeInfo('b1', z('b'), [makePod('r3', { ownerUid: 'rs' })]),
    ];
    const [a1, a2, b1] = scores(podInfo('p', { ownerUid: 'rs' }), nodes);
    expect(b1).toBeGreaterThan(a2);
    expect(a2).toBeGreaterThan(a1);
  });
});
