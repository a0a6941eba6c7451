import { ErrReasonUnschedulable, NodeUnschedulable } from './node-unschedulable';
import { nodeInfo, podInfo } from '../../test/fixtures/scheduler';
import { CycleState } from '../framework/types';

describe('NodeUnschedulable', () => {
  const plugin = new NodeUnschedulable();
  const state = new CycleState();
  test('a schedulable node passes', () => {
    expect(plugin.filter(state, podInfo('p'), nodeInfo('n'))).toBeNull();
  });
  test('a cordoned node is rejected, unresolvably', () => {
    const st = plugin.filter(state, podInfo('p'), nodeInfo('n', { unschedulable: true }));
    expect(st).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: [ErrReasonUnschedulable] });
  });
  test('a pod tolerating the unschedulable taint may go to a cordoned node', () => {
    const pod = podInfo('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(plugin.filter(state, pod, nodeInfo('n', { unschedulable: true }))).toBeNull();
  });
});
