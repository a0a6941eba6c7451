import { FitError, fitErrorMessage, Framework, NoNodesAvailableMessage, numFeasibleNodesToFind } from './framework';
import { CycleState, skip, Status, unschedulable } from './types';
import type { NodeInfo } from './node-info';
import type { PodInfo } from './pod-info';
import { defaultProfile } from '../profile';
import { KubeClient } from '../../lib/client/client';
import { makePod, nodeInfo, podInfo } from '../../test/fixtures/scheduler';

const client = KubeClient.forServer('http://127.0.0.1:1'); // never called: no bind in these tests

describe('numFeasibleNodesToFind', () => {
  test.each([
    [50, 0, 50], // small cluster: all
    [99, 0, 99],
    [100, 0, 100],
    [1000, 0, 420], // 50 - 1000/125 = 42%
    [5000, 0, 500], // 50 - 40 = 10%
    [6000, 0, 300], // 50 - 48 = 2% → 5% floor
    [200, 10, 100], // 20 found by 10% → floor of 100
    [5000, 100, 5000],
    [5000, 30, 1500],
  ])('%d nodes at %d%% → %d', (nodes, pct, want) => {
    expect(numFeasibleNodesToFind(nodes, pct)).toBe(want);
  });
});

describe('fitErrorMessage', () => {
  const st = (...reasons: string[]): Status => ({ code: 'Unschedulable', reasons });
  test("counts reasons per node in Kubernetes' form, sorted", () => {
    const statuses = new Map<string, Status>([
      ['a', st('Insufficient cpu')],
      ['b', st('Insufficient cpu', 'Insufficient memory')],
      ['c', st('Insufficient cpu')],
      ['d', st('node(s) had untolerated taint {dedicated: gpu}')],
      ['e', st('node(s) had untolerated taint {dedicated: gpu}')],
    ]);
    expect(fitErrorMessage(5, statuses)).toBe(
      '0/5 nodes are available: 1 Insufficient memory, 2 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu.',
    );
  });
  test('no nodes at all', () => {
    expect(fitErrorMessage(0, new Map())).toBe(NoNodesAvailableMessage);
  });
});

describe('Framework.schedulePod', () => {
  test('picks a feasible node, and the emptiest one', () => {
    const fwk = new Framework(defaultProfile(client));
    const nodes = [
      nodeInfo('full', { cpu: '1' }, [makePod('a', { cpu: '1' })]),
      nodeInfo('busy', { cpu: '4', memory: '8Gi' }, [makePod('b', { cpu: '3', memory: '6Gi' })]),
      nodeInfo('idle', { cpu: '4', memory: '8Gi' }),
    ];
    const r = fwk.schedulePod(new CycleState(), podInfo('p', { cpu: '500m', memory: '1Gi' }), nodes);
    expect(r).toEqual({ nodeName: 'idle', evaluatedNodes: 3, feasibleNodes: 2 });
  });

  test('no fit: a FitError with one status per node and the rejecting plugins', () => {
    const fwk = new Framework(defaultProfile(client));
    const gpu = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    const nodes = [
      nodeInfo('n1', { cpu: '1' }),
      nodeInfo('n2', { cpu: '1' }),
      nodeInfo('n3', { cpu: '1' }),
      nodeInfo('g1', { cpu: '8', taints: [gpu] }),
      nodeInfo('g2', { cpu: '8', taints: [gpu] }),
    ];
    let err: unknown;
    try {
      fwk.schedulePod(new CycleState(), podInfo('p', { cpu: '2' }), nodes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FitError);
    const fit = err as FitError;
    expect(fit.message).toBe('0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu.');
    expect([...fit.unschedulablePlugins].sort()).toEqual(['NodeResourcesFit', 'TaintToleration']);
    expect(fit.nodeStatuses.size).toBe(5);
  });

  test('large clusters: stops after enough feasible nodes, and the next pod starts where it stopped', () => {
    const fwk = new Framework(defaultProfile(client));
    const nodes = Array.from({ length: 1000 }, (_, i) => nodeInfo(`n${String(i).padStart(4, '0')}`));
    const first = fwk.schedulePod(new CycleState(), podInfo('p1'), nodes);
    expect(first.evaluatedNodes).toBe(420);
    expect(first.feasibleNodes).toBe(420);
    const second = fwk.schedulePod(new CycleState(), podInfo('p2'), nodes);
    expect(second.evaluatedNodes).toBe(420);
    // the second search covered nodes 420..839: its choice lies there
    const idx = Number(second.nodeName.slice(1));
    expect(idx >= 420 && idx < 840).toBe(true);
  });

  test('weights: a preferred affinity outweighs resource balance when weighted up, not when weighted 0', () => {
    const affinity = {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } }],
      },
    };
    const nodes = () => [
      nodeInfo('ssd', { cpu: '4', memory: '8Gi', labels: { disk: 'ssd' } }, [makePod('a', { cpu: '3', memory: '6Gi' })]),
      nodeInfo('plain', { cpu: '4', memory: '8Gi' }),
    ];
    const withAffinity = new Framework(defaultProfile(client));
    expect(withAffinity.schedulePod(new CycleState(), podInfo('p', { cpu: '100m', affinity }), nodes()).nodeName).toBe('ssd');
    const without = new Framework(defaultProfile(client, { scoreWeights: { NodeAffinity: 0 } }));
    expect(without.schedulePod(new CycleState(), podInfo('p', { cpu: '100m', affinity }), nodes()).nodeName).toBe('plain');
  });

  test('a pre-filter or pre-score answering Skip leaves that plugin out for the pod', () => {
    const calls: string[] = [];
    const skipping = {
      name: 'Skipper',
      preFilter: () => skip(),
      filter: () => {
        calls.push('filter');
        return unschedulable('never');
      },
      preScore: () => skip(),
      score: (_s: CycleState, _p: PodInfo, n: NodeInfo) => {
        calls.push('score');
        return n.name === 'a' ? 100 : 0;
      },
    };
    const base = defaultProfile(client);
    const fwk = new Framework({ ...base, preFilter: [skipping], filter: [skipping], preScore: [skipping], score: [{ plugin: skipping, weight: 1 }] }, 0, () => 0.99);
    const r = fwk.schedulePod(new CycleState(), podInfo('p'), [nodeInfo('a'), nodeInfo('b')]);
    expect(r.feasibleNodes).toBe(2);
    expect(calls).toEqual([]);
  });

  test('eventPlugins maps cluster events to the filters interested in them', () => {
    const ev = new Framework(defaultProfile(client)).eventPlugins();
    expect(ev.get('PodDelete')?.has('NodeResourcesFit')).toBe(true);
    expect(ev.get('PodDelete')?.has('TaintToleration')).toBe(false);
    expect(ev.get('NodeAdd')?.has('TaintToleration')).toBe(true);
  });
});
