// Object-state metrics under kube-state-metrics' names and labels (what users' alerts already use),
// computed from the controller manager's informer caches at scrape time, plus the convergence
// histogram shared by every controller. They live in the controllers' registry (lib/metrics.ts), which
// the manager's /metrics serves; each running manager registers its caches as a source while it
// leads, so one process serves one consistent view.
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { componentRegistry, counter, gauge, histogram } from '../lib/component/metrics';

const registry = componentRegistry('controllers');

export interface StateSource {
  deployments(): Deployment[];
  pods(): Pod[];
  nodes(): Node[];
}

const sources = new Set<StateSource>();

/** Adds a cache to report; returns the function that removes it again. */
export function addStateSource(s: StateSource): () => void {
  sources.add(s);
  return () => sources.delete(s);
}

export const convergenceSeconds = histogram({
  name: 'steer_convergence_seconds',
  help: 'Time from a spec change (a new generation) until observed state fully matches it, per kind.',
  labelNames: ['kind'],
  buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
}, registry);

function deploymentGauge(name: string, help: string, value: (d: Deployment) => number | undefined) {
  return gauge({
    name,
    help,
    labelNames: ['namespace', 'deployment'],
    collect() {
      this.reset();
      for (const s of sources) {
        for (const d of s.deployments()) {
          this.set({ namespace: d.metadata?.namespace ?? '', deployment: d.metadata?.name ?? '' }, value(d) ?? 0);
        }
      }
    },
  }, registry);
}

deploymentGauge('kube_deployment_spec_replicas', 'Number of desired pods for a deployment.', (d) => d.spec?.replicas ?? 1);
deploymentGauge('kube_deployment_status_replicas_available', 'The number of available replicas per deployment.', (d) => d.status?.availableReplicas);
deploymentGauge('kube_deployment_status_replicas_updated', 'The number of updated replicas per deployment.', (d) => d.status?.updatedReplicas);
deploymentGauge('kube_deployment_status_observed_generation', 'The generation observed by the deployment controller.', (d) => d.status?.observedGeneration);
deploymentGauge('kube_deployment_metadata_generation', 'Sequence number representing a specific generation of the desired state.', (d) => d.metadata?.generation);

const podPhases = ['Pending', 'Succeeded', 'Failed', 'Unknown', 'Running'];

gauge({
  name: 'kube_pod_status_phase',
  help: 'The pods current phase.',
  labelNames: ['namespace', 'pod', 'uid', 'phase'],
  collect() {
    this.reset();
    for (const s of sources) {
      for (const p of s.pods()) {
        const phase = p.status?.phase || 'Pending';
        const base = { namespace: p.metadata?.namespace ?? '', pod: p.metadata?.name ?? '', uid: p.metadata?.uid ?? '' };
        for (const ph of podPhases) this.set({ ...base, phase: ph }, ph === phase ? 1 : 0);
      }
    }
  },
}, registry);

counter({
  name: 'kube_pod_container_status_restarts_total',
  help: 'The number of container restarts per container.',
  labelNames: ['namespace', 'pod', 'uid', 'container'],
  collect() {
    this.reset();
    for (const s of sources) {
      for (const p of s.pods()) {
        for (const c of p.status?.containerStatuses || []) {
          this.inc({ namespace: p.metadata?.namespace ?? '', pod: p.metadata?.name ?? '', uid: p.metadata?.uid ?? '', container: c.name }, c.restartCount || 0);
        }
      }
    }
  },
}, registry);

gauge({
  name: 'kube_node_status_condition',
  help: 'The condition of a cluster node.',
  labelNames: ['node', 'condition', 'status'],
  collect() {
    this.reset();
    for (const s of sources) {
      for (const n of s.nodes()) {
        for (const c of n.status?.conditions || []) {
          for (const st of ['true', 'false', 'unknown']) {
            this.set({ node: n.metadata?.name ?? '', condition: c.type, status: st }, c.status.toLowerCase() === st ? 1 : 0);
          }
        }
      }
    }
  },
}, registry);
