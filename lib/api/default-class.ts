// Which of several classes marked default a new object gets (StorageClasses for claims, IngressClasses
// for Ingresses): the newest, its name breaking a tie, as Kubernetes 1.26+ picks one rather than refusing.
import type { ObjectMeta } from 'kubernetes-types/meta/v1';

export function newestDefault<T extends { metadata?: ObjectMeta }>(classes: T[], isDefault: (c: T) => boolean): T | undefined {
  const defaults = classes.filter(isDefault);
  defaults.sort((a, b) => (b.metadata?.creationTimestamp ?? '').localeCompare(a.metadata?.creationTimestamp ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  return defaults[0];
}
