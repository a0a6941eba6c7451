import type { PodFailurePolicy } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { matchPodFailurePolicy } from './job-failure-policy';

function failed(o: { exit?: Record<string, number | undefined>; init?: Record<string, number>; conditions?: Array<[string, string]> } = {}): Pod {
  const status = (name: string, code: number | undefined) => ({ name, image: 'x', imageID: '', ready: false, restartCount: 0, state: code === undefined ? { running: {} } : { terminated: { exitCode: code } } });
  return {
    metadata: { name: 'pi-1', namespace: 'batch' },
    status: {
      phase: 'Failed',
      containerStatuses: Object.entries(o.exit ?? { main: 1 }).map(([n, c]) => status(n, c)),
      initContainerStatuses: Object.entries(o.init ?? {}).map(([n, c]) => status(n, c)),
      conditions: (o.conditions ?? []).map(([type, s]) => ({ type, status: s })),
    },
  };
}

const policy: PodFailurePolicy = {
  rules: [
    { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
    { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    { action: 'Count', onExitCodes: { operator: 'NotIn', values: [1, 2] } },
    { action: 'FailJob', onPodConditions: [{ type: 'ConfigIssue', status: 'True' }] },
  ],
};

test.each<[string, Pod, ReturnType<typeof matchPodFailurePolicy>]>([
  ['FailJob on the named container’s listed exit code, with kube’s message', failed({ exit: { main: 42 } }), { counts: true, action: 'FailJob', failJob: 'Container main for pod batch/pi-1 failed with exit code 42 matching FailJob rule at index 0' }],
  ['not for another container with that code (NotIn 1,2 takes it: Count)', failed({ exit: { main: 1, side: 42 } }), { counts: true, action: 'Count' }],
  ['Ignore on DisruptionTarget: not counted', failed({ exit: { main: 1 }, conditions: [['DisruptionTarget', 'True']] }), { counts: false, action: 'Ignore' }],
  ['the first matching rule wins (FailJob before Ignore)', failed({ exit: { main: 42 }, conditions: [['DisruptionTarget', 'True']] }), { counts: true, action: 'FailJob', failJob: 'Container main for pod batch/pi-1 failed with exit code 42 matching FailJob rule at index 0' }],
  ['a condition with another status does not match', failed({ exit: { main: 1 }, conditions: [['DisruptionTarget', 'False']] }), { counts: true }],
  ['FailJob on a pod condition', failed({ exit: { main: 2 }, conditions: [['ConfigIssue', 'True']] }), { counts: true, action: 'FailJob', failJob: 'Pod batch/pi-1 has condition ConfigIssue matching FailJob rule at index 3' }],
  ['NotIn matches an init container’s code', failed({ exit: { main: 1 }, init: { setup: 7 } }), { counts: true, action: 'Count' }],
  ['exit code 0 and running containers never match', failed({ exit: { main: 0, side: undefined }, init: { setup: 0 } }), { counts: true }],
  ['no rule matches: counted', failed({ exit: { main: 1 } }), { counts: true }],
])('%s', (_what, pod, verdict) => {
  expect(matchPodFailurePolicy(policy, pod)).toEqual(verdict);
});

test('without a policy every failure counts', () => {
  expect(matchPodFailurePolicy(undefined, failed({ exit: { main: 42 } }))).toEqual({ counts: true });
});

test('a pattern without a status matches True (the API defaults it so)', () => {
  expect(matchPodFailurePolicy({ rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' } as never] }] }, failed({ conditions: [['DisruptionTarget', 'True']] }))).toEqual({ counts: false, action: 'Ignore' });
});
