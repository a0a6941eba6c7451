import { ErrReasonPorts, NodePorts } from './node-ports';
import { makePod, nodeInfo, podInfo } from '../../test/fixtures/scheduler';
import { CycleState } from '../framework/types';
import { newPodInfo } from '../framework/pod-info';

describe('NodePorts', () => {
  const plugin = new NodePorts();
  const state = new CycleState();
  test('no host ports: passes', () => {
    expect(plugin.filter(state, podInfo('p'), nodeInfo('n', {}, [makePod('q', { hostPorts: [80] })]))).toBeNull();
  });
  test('a free port passes, a used one is rejected', () => {
    const node = nodeInfo('n', {}, [makePod('q', { hostPorts: [80] })]);
    expect(plugin.filter(state, podInfo('p', { hostPorts: [8080] }), node)).toBeNull();
    expect(plugin.filter(state, podInfo('p', { hostPorts: [80] }), node)).toEqual({ code: 'Unschedulable', reasons: [ErrReasonPorts] });
  });
  test('the port is free again once the pod that held it is gone', () => {
    const holder = newPodInfo(makePod('q', { hostPorts: [80] }));
    const node = nodeInfo('n');
    node.addPod(holder);
    node.removePod(holder.uid);
    expect(plugin.filter(state, podInfo('p', { hostPorts: [80] }), node)).toBeNull();
  });
  test('specific addresses conflict with the wildcard but not with each other', () => {
    const withIP = (name: string, ip: string, protocol = 'TCP') => {
      const p = makePod(name);
      p.spec!.containers[0].ports = [{ containerPort: 53, hostPort: 53, hostIP: ip, protocol }];
      return p;
    };
    const node = nodeInfo('n', {}, [withIP('a', '10.0.0.1')]);
    expect(plugin.filter(state, newPodInfo(withIP('b', '10.0.0.2')), node)).toBeNull();
    expect(plugin.filter(state, newPodInfo(withIP('c', '10.0.0.1')), node)).not.toBeNull();
    expect(plugin.filter(state, podInfo('d', { hostPorts: [53] }), node)).not.toBeNull(); // 0.0.0.0
    expect(plugin.filter(state, newPodInfo(withIP('e', '10.0.0.1', 'UDP')), node)).toBeNull();
  });
});
