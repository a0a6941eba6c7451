// Desired vs observed and Δ per workload kind, as kubectl's READY and COMPLETIONS columns read them.
import { workloadState } from './workloads';

test('a Deployment scaling up has a positive Δ until every replica is ready and available', () => {
  const d = { metadata: { generation: 2 }, spec: { replicas: 3 }, status: { observedGeneration: 2, replicas: 3, readyReplicas: 1, updatedReplicas: 3, availableReplicas: 1 } };
  expect(workloadState('deployments', d)).toMatchObject({ desired: 3, ready: 1, delta: 2, converged: false, label: '1/3', progress: '2 not ready yet' });
  d.status.readyReplicas = 3;
  d.status.availableReplicas = 3;
  expect(workloadState('deployments', d)).toMatchObject({ delta: 0, converged: true, label: '3/3', progress: '' });
});

test('scaling down shows the excess as a negative Δ; an unobserved spec is not converged', () => {
  expect(workloadState('deployments', { metadata: { generation: 3 }, spec: { replicas: 1 }, status: { observedGeneration: 3, replicas: 3, readyReplicas: 3, updatedReplicas: 3, availableReplicas: 3 } })).toMatchObject({ delta: -2, progress: '2 to remove' });
  expect(workloadState('deployments', { metadata: { generation: 4 }, spec: { replicas: 1 }, status: { observedGeneration: 3, replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 } })).toMatchObject({ delta: 0, converged: false });
});

test('DaemonSets, StatefulSets and Jobs', () => {
  expect(workloadState('daemonsets', { status: { desiredNumberScheduled: 4, currentNumberScheduled: 4, numberReady: 3, updatedNumberScheduled: 4, numberAvailable: 3, numberMisscheduled: 0 } })).toMatchObject({ label: '3/4', delta: 1 });
  expect(workloadState('statefulsets', { spec: { replicas: 2 }, status: { replicas: 2, readyReplicas: 2, updatedReplicas: 2 } })).toMatchObject({ label: '2/2', converged: true });
  expect(workloadState('jobs', { spec: { completions: 3 }, status: { succeeded: 1, active: 2 } })).toMatchObject({ label: '1/3', delta: 2, converged: false });
  expect(workloadState('jobs', { spec: { completions: 3 }, status: { succeeded: 3, conditions: [{ type: 'Complete', status: 'True' }] } })).toMatchObject({ delta: 0, converged: true });
});
