// Fixtures for the Deployment unit tests: small builders for Deployments and ReplicaSets as the
// apiserver would hand them to the controller (defaults filled in).
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import {
  computeTemplateHash,
  DesiredReplicasAnnotation,
  MaxReplicasAnnotation,
  newControllerRef,
  PodTemplateHashLabel,
  RevisionAnnotation,
  selectorWithLabel,
} from './deployment-util';

export interface DeploymentFixture {
  name?: string;
  replicas?: number;
  image?: string;
  maxSurge?: number | string;
  maxUnavailable?: number | string;
  strategy?: 'RollingUpdate' | 'Recreate';
  generation?: number;
  observedGeneration?: number;
  paused?: boolean;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  minReadySeconds?: number;
  statusReplicas?: number;
}

export function deployment(f: DeploymentFixture = {}): Deployment {
  const name = f.name ?? 'web';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, generation: f.generation ?? 1, labels: { app: name } },
    spec: {
      replicas: f.replicas ?? 3,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: f.image ?? 'nginx:1' }] },
      },
      strategy:
        (f.strategy ?? 'RollingUpdate') === 'Recreate'
          ? { type: 'Recreate' }
          : { type: 'RollingUpdate', rollingUpdate: { maxSurge: f.maxSurge ?? '25%', maxUnavailable: f.maxUnavailable ?? '25%' } },
      revisionHistoryLimit: f.revisionHistoryLimit ?? 10,
      progressDeadlineSeconds: f.progressDeadlineSeconds ?? 600,
      minReadySeconds: f.minReadySeconds ?? 0,
      paused: f.paused,
    },
    status: { observedGeneration: f.observedGeneration ?? f.generation ?? 1, replicas: f.statusReplicas },
  };
}

export interface ReplicaSetFixture {
  image: string;
  replicas: number;
  available?: number;
  statusReplicas?: number;
  ready?: number;
  revision?: number;
  /** Seconds after the epoch: orders ReplicaSets by age. */
  created?: number;
  desired?: number;
  max?: number;
  uid?: string;
}

/** A ReplicaSet owned by `d` running `image`, as the Deployment controller would have made it. */
export function replicaSet(d: Deployment, f: ReplicaSetFixture): ReplicaSet {
  const template = structuredClone(d.spec!.template);
  template.spec!.containers[0].image = f.image;
  const hash = computeTemplateHash(template);
  const name = `${d.metadata!.name}-${hash}`;
  const ann: Record<string, string> = {};
  if (f.revision !== undefined) ann[RevisionAnnotation] = String(f.revision);
  if (f.desired !== undefined) ann[DesiredReplicasAnnotation] = String(f.desired);
  if (f.max !== undefined) ann[MaxReplicasAnnotation] = String(f.max);
  template.metadata = { labels: { ...(template.metadata?.labels ?? {}), [PodTemplateHashLabel]: hash } };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'default',
      uid: f.uid ?? `uid-${name}`,
      generation: 1,
      resourceVersion: '1',
      creationTimestamp: new Date((f.created ?? 0) * 1000).toISOString(),
      annotations: ann,
      labels: template.metadata.labels,
      ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
    },
    spec: { replicas: f.replicas, selector: selectorWithLabel(d.spec!.selector, PodTemplateHashLabel, hash), template },
    status: {
      replicas: f.statusReplicas ?? f.replicas,
      readyReplicas: f.ready ?? f.available ?? f.replicas,
      availableReplicas: f.available ?? f.replicas,
      observedGeneration: 1,
    },
  };
}

/** The first container's image: how the tests name ReplicaSets. */
export function imageOf(rs: ReplicaSet): string {
  return rs.spec?.template?.spec?.containers[0]?.image ?? '';
}
