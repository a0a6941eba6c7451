import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { componentRegistry, metricsResponse } from '../lib/component/metrics';
import { addStateSource } from './metrics';

describe('kube-state-metrics from caches', () => {
  it('reports deployments, pod phases, restarts and node conditions with kube-state-metrics labels', async () => {
    const deployments: Deployment[] = [
      { metadata: { name: 'web', namespace: 'prod', generation: 4 }, spec: { replicas: 3, selector: {}, template: {} }, status: { availableReplicas: 2, updatedReplicas: 3, observedGeneration: 4 } },
    ];
    const pods: Pod[] = [
      { metadata: { name: 'web-abcde', namespace: 'prod', uid: 'u1' }, status: { phase: 'Running', containerStatuses: [{ name: 'nginx', image: 'x', imageID: '', ready: true, restartCount: 2 }] } },
    ];
    const nodes: Node[] = [{ metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }];
    const remove = addStateSource({ deployments: () => deployments, pods: () => pods, nodes: () => nodes });
    const register = componentRegistry('controllers');
    const text = await register.metrics();
    expect(text).toContain('kube_deployment_spec_replicas{namespace="prod",deployment="web"} 3');
    expect(text).toContain('kube_deployment_status_replicas_available{namespace="prod",deployment="web"} 2');
    expect(text).toContain('kube_deployment_status_replicas_updated{namespace="prod",deployment="web"} 3');
    expect(text).toContain('kube_deployment_status_observed_generation{namespace="prod",deployment="web"} 4');
    expect(text).toContain('kube_deployment_metadata_generation{namespace="prod",deployment="web"} 4');
    expect(text).toContain('kube_pod_status_phase{namespace="prod",pod="web-abcde",uid="u1",phase="Running"} 1');
    expect(text).toContain('kube_pod_status_phase{namespace="prod",pod="web-abcde",uid="u1",phase="Pending"} 0');
    expect(text).toContain('kube_pod_container_status_restarts_total{namespace="prod",pod="web-abcde",uid="u1",container="nginx"} 2');
    expect(text).toContain('kube_node_status_condition{node="n1",condition="Ready",status="unknown"} 1');
    expect(text).toContain('kube_node_status_condition{node="n1",condition="Ready",status="true"} 0');
    expect(text).toContain('# TYPE steer_convergence_seconds histogram');
    // Only the controllers' endpoint serves them, with the process metrics; no other component's does.
    expect((await metricsResponse('controllers')).body).toContain('kube_deployment_spec_replicas{namespace="prod",deployment="web"} 3');
    expect((await metricsResponse('controllers')).body).toContain('process_resident_memory_bytes');
    for (const other of ['apiserver', 'scheduler', 'node-agent'] as const) {
      expect((await metricsResponse(other)).body).not.toContain('kube_deployment_spec_replicas');
    }
    remove();
    expect(await register.metrics()).not.toContain('deployment="web"');
  });
});
