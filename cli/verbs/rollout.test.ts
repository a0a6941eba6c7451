// `rollout status` messages, as kubectl's DeploymentStatusViewer words them.
import type { Deployment } from 'kubernetes-types/apps/v1';
import { deploymentRolloutState } from './rollout';

describe('rollout status messages', () => {
  const d = (generation: number, status: Deployment['status'], replicas = 3): Deployment => ({ metadata: { name: 'nginx', generation }, spec: { replicas, selector: {}, template: {} }, status });
  test.each([
    [d(2, { observedGeneration: 1 }), false, 'Waiting for deployment spec update to be observed...'],
    [d(2, { observedGeneration: 2, updatedReplicas: 1, replicas: 1 }), false, 'Waiting for deployment "nginx" rollout to finish: 1 out of 3 new replicas have been updated...'],
    [d(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 4 }), false, 'Waiting for deployment "nginx" rollout to finish: 1 old replicas are pending termination...'],
    [d(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 }), false, 'Waiting for deployment "nginx" rollout to finish: 2 of 3 updated replicas are available...'],
    [d(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }), true, 'deployment "nginx" successfully rolled out'],
  ])('%#', (dep, done, message) => {
    expect(deploymentRolloutState(dep)).toEqual({ done, message });
  });
  it('fails on ProgressDeadlineExceeded', () => {
    expect(() => deploymentRolloutState(d(1, { observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }))).toThrow('exceeded its progress deadline');
  });
});

