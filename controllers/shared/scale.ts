// The scale subresource as controllers use it (client-go's scale client): find the resource of a
// controller reference or scaleTargetRef that has a scale subresource, read its autoscaling/v1 Scale
// and write replicas. The HorizontalPodAutoscaler scales through it, the disruption controller reads
// the scale of pods' controllers of kinds it does not follow itself.
import type { Scale } from 'kubernetes-types/autoscaling/v1';
import { allResources, groupVersion, type ResourceType } from '../../lib/api/resources';
import type { KubeClient } from '../../lib/client/client';

/** The served resource of apiVersion + kind when it has a scale subresource (apps/v1 Deployment, …). */
export function findScalable(apiVersion: string | undefined, kind: string): ResourceType | undefined {
  return allResources.find((r) => r.kind === kind && r.subresources.includes('scale') && (apiVersion === undefined || apiVersion === '' || groupVersion(r) === apiVersion || (!apiVersion.includes('/') && r.group === apiVersion)));
}

export function readScale(client: KubeClient, rt: ResourceType, namespace: string | undefined, name: string): Promise<Scale> {
  return client.get<Scale>(rt, namespace, name, 'scale');
}

/** PUT of the Scale with new replicas; its resourceVersion makes the write conditional. */
export function writeScale(client: KubeClient, rt: ResourceType, scale: Scale, replicas: number): Promise<Scale> {
  return client.update<Scale & { metadata: NonNullable<Scale['metadata']> }>(rt, { ...scale, metadata: scale.metadata ?? {}, spec: { ...scale.spec, replicas } }, 'scale');
}
