import { balancedScore, NodeResourcesBalancedAllocation } from './balanced-allocation';
import { makePod, nodeInfo, podInfo } from '../../test/fixtures/scheduler';
import { CycleState } from '../framework/types';

describe('NodeResourcesBalancedAllocation', () => {
  const plugin = new NodeResourcesBalancedAllocation();
  const state = new CycleState();
  test('balancedScore', () => {
    expect(balancedScore([0.5, 0.5])).toBe(100);
    expect(balancedScore([0, 1])).toBe(50);
    expect(balancedScore([0.25, 0.75])).toBe(75);
    expect(balancedScore([2, 1])).toBe(100); // fractions are capped at 1
  });
  test('prefers the node where cpu and memory use stay even', () => {
    // Pod asks 1 cpu / 1Gi. Node "even" ends at 50%/50%; node "skewed" ends at 100% cpu / 25% memory.
    const even = nodeInfo('even', { cpu: '2', memory: '2Gi' });
    const skewed = nodeInfo('skewed', { cpu: '2', memory: '4Gi' }, [makePod('a', { cpu: '1' })]);
    const pod = podInfo('p', { cpu: '1', memory: '1Gi' });
    expect(plugin.score(state, pod, even)).toBe(100);
    expect(plugin.score(state, pod, skewed)).toBe(62);
  });
});
