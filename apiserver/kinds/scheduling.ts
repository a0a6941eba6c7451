// The strategy of scheduling.k8s.io/v1 PriorityClasses (kube's pkg/registry/scheduling/priorityclass):
// cluster-scoped, preemptionPolicy defaulted, value immutable; the system classes are created at start
// (Registry.init) and the Priority admission plugin turns a pod's priorityClassName into its priority.
import type { PriorityClass } from 'kubernetes-types/scheduling/v1';
import { Resources } from '../../lib/api/resources';
import { priorityClassPrinter } from '../tables/legacy';
import { defaultPriorityClass, validatePriorityClass } from '../validation/legacy';
import { defineKind, KindStrategy } from './strategy';

export const schedulingKinds: KindStrategy[] = [
  defineKind<PriorityClass>(Resources.priorityclasses, { defaults: defaultPriorityClass, validate: validatePriorityClass, printer: priorityClassPrinter }),
];
