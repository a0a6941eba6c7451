// The per-kind strategy table: one KindStrategy for every resource the apiserver serves, keyed by
// group and resource. The registry, defaulting, validation and the table printers look a kind up here;
// lib/api/resources.ts stays the list of names shared with clients, and the server refuses to start
// when a resource there has no strategy here.
import { allResources, type ResourceType } from '../../lib/api/resources';
import { admissionregistrationKinds } from './admissionregistration';
import { appsKinds } from './apps';
import { authenticationKinds } from './authentication';
import { authorizationKinds } from './authorization';
import { autoscalingKinds } from './autoscaling';
import { batchKinds } from './batch';
import { certificatesKinds } from './certificates';
import { coordinationKinds } from './coordination';
import { coreKinds } from './core';
import { coreLegacyKinds } from './core-legacy';
import { discoveryKinds } from './discovery';
import { networkingKinds } from './networking';
import { nodeKinds } from './node';
import { policyKinds } from './policy';
import { rbacKinds } from './rbac';
import { storageKinds } from './storage';
import { apiextensionsKinds } from '../crd/definition';
import { schedulingKinds } from './scheduling';
import type { KindStrategy } from './strategy';

export type { KindStrategy, WriteAllocation } from './strategy';

/** Every served kind's strategy, one file per API group. */
export const kindStrategies: readonly KindStrategy[] = [...coreKinds, ...appsKinds, ...batchKinds, ...coordinationKinds, ...discoveryKinds, ...rbacKinds, ...authorizationKinds, ...authenticationKinds, ...storageKinds, ...autoscalingKinds, ...policyKinds, ...networkingKinds, ...apiextensionsKinds, ...coreLegacyKinds, ...schedulingKinds, ...certificatesKinds, ...nodeKinds, ...admissionregistrationKinds];

const keyOf = (rt: Pick<ResourceType, 'group' | 'resource'>): string => `${rt.group}/${rt.resource}`;

const byResource = new Map<string, KindStrategy>();
for (const strategy of kindStrategies) {
  const key = keyOf(strategy.resource);
  if (byResource.has(key)) throw new Error(`apiserver: two strategies for ${key}`);
  byResource.set(key, strategy);
}
for (const rt of allResources) {
  if (!byResource.has(keyOf(rt))) throw new Error(`apiserver: no strategy for ${keyOf(rt)} (add one in apiserver/kinds/)`);
}

// Custom kinds' strategies, keyed by their ResourceType object: each server's KindCatalog makes its
// own, so registrations never leak between servers and go away with them.
const dynamicStrategies = new WeakMap<ResourceType, KindStrategy>();

/** Makes a custom kind's strategy findable by strategyFor (KindCatalog.register calls it). */
export function registerDynamicStrategy(strategy: KindStrategy): void {
  if (byResource.has(keyOf(strategy.resource))) throw new Error(`apiserver: ${keyOf(strategy.resource)} is a built-in resource`);
  dynamicStrategies.set(strategy.resource, strategy);
}

/** The strategy of a served resource. */
export function strategyFor(rt: ResourceType): KindStrategy {
  const strategy = byResource.get(keyOf(rt)) ?? dynamicStrategies.get(rt);
  if (!strategy) throw new Error(`apiserver: no strategy for ${keyOf(rt)}`);
  return strategy;
}
