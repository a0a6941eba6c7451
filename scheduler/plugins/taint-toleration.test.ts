import { TaintToleration, untoleratedTaintReason } from './taint-toleration';
import { toleratesTaint } from '../../lib/api/tolerations';
import { nodeInfo, podInfo } from '../../test/fixtures/scheduler';
import { CycleState, NodeScore } from '../framework/types';

describe('toleratesTaint', () => {
  const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  test.each([
    [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, true],
    [{ key: 'dedicated', value: 'gpu' }, true], // any effect, Equal by default
    [{ key: 'dedicated', operator: 'Exists' }, true],
    [{ operator: 'Exists' }, true], // tolerates everything
    [{ key: 'dedicated', operator: 'Equal', value: 'cpu' }, false],
    [{ key: 'other', operator: 'Exists' }, false],
    [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, false],
  ])('%j → %s', (toleration, want) => {
    expect(toleratesTaint(toleration, taint)).toBe(want);
  });
});

describe('TaintToleration', () => {
  const plugin = new TaintToleration();
  const state = new CycleState();
  const gpu = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };

  test('filter: untolerated NoSchedule and NoExecute taints reject, with the taint in the reason', () => {
    expect(plugin.filter(state, podInfo('p'), nodeInfo('n', { taints: [gpu] }))).toEqual({
      code: 'UnschedulableAndUnresolvable',
      reasons: ['node(s) had untolerated taint {dedicated: gpu}'],
    });
    const noExec = { key: 'maintenance', effect: 'NoExecute' };
    expect(plugin.filter(state, podInfo('p'), nodeInfo('n', { taints: [noExec] }))?.reasons).toEqual([
      untoleratedTaintReason('maintenance', undefined),
    ]);
  });

  test('filter: tolerated taints and PreferNoSchedule taints pass', () => {
    const pod = podInfo('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] });
    expect(plugin.filter(state, pod, nodeInfo('n', { taints: [gpu] }))).toBeNull();
    const soft = { key: 'soft', value: 'x', effect: 'PreferNoSchedule' };
    expect(plugin.filter(state, podInfo('q'), nodeInfo('n', { taints: [soft] }))).toBeNull();
  });

  test('score: fewer untolerated PreferNoSchedule taints score higher', () => {
    const soft = (k: string) => ({ key: k, value: 'x', effect: 'PreferNoSchedule' });
    const nodes = [nodeInfo('clean'), nodeInfo('one', { taints: [soft('a')] }), nodeInfo('two', { taints: [soft('a'), soft('b')] })];
    const pod = podInfo('p');
    const scores: NodeScore[] = nodes.map((node) => ({ node, score: plugin.score(state, pod, node) }));
    expect(scores.map((s) => s.score)).toEqual([0, 1, 2]);
    plugin.normalizeScores(state, pod, scores);
    expect(scores.map((s) => s.score)).toEqual([100, 50, 0]);

    const tolerant = podInfo('t', { tolerations: [{ key: 'a', operator: 'Exists', effect: 'PreferNoSchedule' }] });
    expect(plugin.score(state, tolerant, nodes[2])).toBe(1);
  });
});
