// The strategy of policy/v1 PodDisruptionBudgets (kube's pkg/registry/policy/poddisruptionbudget):
// generation tracked (status.observedGeneration), an empty status on create; the disruption controller
// writes the status and pods/eviction reads it.
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { Resources } from '../../lib/api/resources';
import { pdbPrinter } from '../tables/policy';
import { validatePodDisruptionBudget } from '../validation/policy';
import { defineKind, KindStrategy, startWithEmptyStatus } from './strategy';

export const policyKinds: KindStrategy[] = [
  defineKind<PodDisruptionBudget>(Resources.poddisruptionbudgets, {
    generationTracked: true,
    prepareForCreate: startWithEmptyStatus,
    validate: validatePodDisruptionBudget,
    printer: pdbPrinter,
  }),
];
