// Pod topologySpreadConstraints: the checks beyond maxSkew / topologyKey / whenUnsatisfiable
// (minDomains, node inclusion policies, matchLabelKeys, duplicate pairs), in Kubernetes' wording.
import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { validate } from '.';

function causes(constraints: TopologySpreadConstraint[]): Array<[string, string]> {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', image: 'busybox' }], topologySpreadConstraints: constraints },
  };
  return validate(Resources.pods, pod).map((c) => [c.field, c.message]);
}

const base = (extra: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  maxSkew: 1,
  topologyKey: 'topology.kubernetes.io/zone',
  whenUnsatisfiable: 'DoNotSchedule',
  labelSelector: { matchLabels: { app: 'web' } },
  ...extra,
});

describe('pod topologySpreadConstraints validation', () => {
  test('a complete valid constraint passes', () => {
    expect(causes([base({ minDomains: 2, nodeAffinityPolicy: 'Ignore', nodeTaintsPolicy: 'Honor', matchLabelKeys: ['pod-template-hash'] })])).toEqual([]);
  });
  test('minDomains must be positive and needs DoNotSchedule', () => {
    expect(causes([base({ minDomains: 0 })])).toEqual([['spec.topologySpreadConstraints[0].minDomains', 'Invalid value: 0: must be greater than 0']]);
    expect(causes([base({ minDomains: 2, whenUnsatisfiable: 'ScheduleAnyway' })])).toEqual([
      ['spec.topologySpreadConstraints[0].minDomains', 'Invalid value: 2: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway'],
    ]);
  });
  test('node inclusion policies are Honor or Ignore', () => {
    expect(causes([base({ nodeTaintsPolicy: 'Maybe' })])).toEqual([
      ['spec.topologySpreadConstraints[0].nodeTaintsPolicy', 'Unsupported value: "Maybe": supported values: "Honor", "Ignore"'],
    ]);
  });
  test('matchLabelKeys may not repeat a labelSelector key', () => {
    expect(causes([base({ matchLabelKeys: ['app'] })])).toEqual([['spec.topologySpreadConstraints[0].matchLabelKeys[0]', 'Invalid value: "app": exists in both matchLabelKeys and labelSelector']]);
  });
  test('two constraints with the same topologyKey and whenUnsatisfiable', () => {
    expect(causes([base(), base({ maxSkew: 2 })])).toEqual([
      ['spec.topologySpreadConstraints[1].{topologyKey, whenUnsatisfiable}', 'Duplicate value: "{topology.kubernetes.io/zone, DoNotSchedule}"'],
    ]);
  });
});
