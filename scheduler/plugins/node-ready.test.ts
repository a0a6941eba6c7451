import { ErrReasonNotReady, NodeReady } from './node-ready';
import { nodeInfo, podInfo } from '../../test/fixtures/scheduler';
import { CycleState } from '../framework/types';

describe('NodeReady', () => {
  const plugin = new NodeReady();
  const state = new CycleState();
  test('a Ready node passes', () => {
    expect(plugin.filter(state, podInfo('p'), nodeInfo('n'))).toBeNull();
  });
  test('a NotReady node is rejected', () => {
    expect(plugin.filter(state, podInfo('p'), nodeInfo('n', { ready: false }))?.reasons).toEqual([ErrReasonNotReady]);
  });
  test('a node without a Ready condition is rejected', () => {
    const n = nodeInfo('n');
    n.setNode({ ...n.node, status: { ...n.node.status, conditions: [] } });
    expect(plugin.filter(state, podInfo('p'), n)).not.toBeNull();
  });
  test('a pod tolerating not-ready may go there', () => {
    const pod = podInfo('p', { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }] });
    expect(plugin.filter(state, pod, nodeInfo('n', { ready: false }))).toBeNull();
  });
});
