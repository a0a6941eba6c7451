import { ErrReasonPod, NodeAffinity } from './node-affinity';
import { nodeInfo, podInfo } from '../../test/fixtures/scheduler';
import { CycleState, NodeScore } from '../framework/types';
import type { NodeSelectorRequirement } from 'kubernetes-types/core/v1';
import type { PodInfo } from '../framework/pod-info';
import type { NodeInfo } from '../framework/node-info';

function run(pod: PodInfo, node: NodeInfo) {
  const plugin = new NodeAffinity();
  const state = new CycleState();
  expect(plugin.preFilter(state, pod)).toBeNull();
  return plugin.filter(state, pod, node);
}

function required(...terms: NodeSelectorRequirement[][]) {
  return { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms.map((t) => ({ matchExpressions: t })) } } };
}

describe('NodeAffinity filter', () => {
  const ssd = nodeInfo('ssd-node', { labels: { disk: 'ssd', cores: '16', zone: 'a' } });
  const hdd = nodeInfo('hdd-node', { labels: { disk: 'hdd', cores: '4' } });

  test('nodeSelector', () => {
    const pod = podInfo('p', { nodeSelector: { disk: 'ssd' } });
    expect(run(pod, ssd)).toBeNull();
    expect(run(pod, hdd)).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: [ErrReasonPod] });
  });

  test.each<[string, NodeSelectorRequirement, boolean, boolean]>([
    ['In', { key: 'disk', operator: 'In', values: ['ssd', 'nvme'] }, true, false],
    ['NotIn', { key: 'disk', operator: 'NotIn', values: ['ssd'] }, false, true],
    ['Exists', { key: 'zone', operator: 'Exists' }, true, false],
    ['DoesNotExist', { key: 'zone', operator: 'DoesNotExist' }, false, true],
    ['Gt', { key: 'cores', operator: 'Gt', values: ['8'] }, true, false],
    ['Lt', { key: 'cores', operator: 'Lt', values: ['8'] }, false, true],
  ])('required %s', (_name, req, onSsd, onHdd) => {
    const pod = podInfo('p', { affinity: required([req]) });
    expect(run(pod, ssd) === null).toBe(onSsd);
    expect(run(pod, hdd) === null).toBe(onHdd);
  });

  test('terms are ORed, expressions within a term ANDed', () => {
    const pod = podInfo('p', {
      affinity: required(
        [{ key: 'disk', operator: 'In', values: ['ssd'] }, { key: 'cores', operator: 'Lt', values: ['8'] }], // matches neither
        [{ key: 'disk', operator: 'In', values: ['hdd'] }],
      ),
    });
    expect(run(pod, ssd)).not.toBeNull();
    expect(run(pod, hdd)).toBeNull();
  });

  test('matchFields on metadata.name', () => {
    const pod = podInfo('p', {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['hdd-node'] }] }] } } },
    });
    expect(run(pod, ssd)).not.toBeNull();
    expect(run(pod, hdd)).toBeNull();
  });

  test('nodeSelector and affinity must both hold; an invalid or empty term matches nothing', () => {
    const both = podInfo('p', { nodeSelector: { disk: 'ssd' }, affinity: required([{ key: 'cores', operator: 'Lt', values: ['8'] }]) });
    expect(run(both, ssd)).not.toBeNull();
    expect(run(both, hdd)).not.toBeNull();
    expect(run(podInfo('q', { affinity: required([{ key: 'cores', operator: 'Gt', values: ['x'] }]) }), ssd)).not.toBeNull();
    expect(run(podInfo('r', { affinity: required([]) }), ssd)).not.toBeNull();
  });
});

describe('NodeAffinity score', () => {
  test('summed weights of matching preferred terms, normalized to 100', () => {
    const plugin = new NodeAffinity();
    const state = new CycleState();
    const pod = podInfo('p', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 80, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
            { weight: 20, preference: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] } },
          ],
        },
      },
    });
    plugin.preFilter(state, pod);
    const nodes = [
      nodeInfo('both', { labels: { disk: 'ssd', zone: 'a' } }),
      nodeInfo('ssd', { labels: { disk: 'ssd' } }),
      nodeInfo('zone', { labels: { zone: 'b' } }),
      nodeInfo('none'),
    ];
    const scores: NodeScore[] = nodes.map((node) => ({ node, score: plugin.score(state, pod, node) }));
    expect(scores.map((s) => s.score)).toEqual([100, 80, 20, 0]);
    scores[0].score = 50; // make 80 the maximum: normalization scales it to 100
    plugin.normalizeScores(state, pod, scores);
    expect(scores.map((s) => s.score)).toEqual([62, 100, 25, 0]);
  });
});
