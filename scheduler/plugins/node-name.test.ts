import { ErrReasonNodeName, NodeName } from './node-name';
import { nodeInfo, podInfo } from '../../test/fixtures/scheduler';
import { CycleState } from '../framework/types';

describe('NodeName', () => {
  const plugin = new NodeName();
  const state = new CycleState();
  test('no nodeName: every node passes', () => {
    expect(plugin.filter(state, podInfo('p'), nodeInfo('a'))).toBeNull();
  });
  test('nodeName: only that node passes', () => {
    const pod = podInfo('p', { nodeName: 'b' });
    expect(plugin.filter(state, pod, nodeInfo('b'))).toBeNull();
    expect(plugin.filter(state, pod, nodeInfo('a'))).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: [ErrReasonNodeName] });
  });
});
