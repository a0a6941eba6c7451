// The strategy of autoscaling/v2 HorizontalPodAutoscalers (kube's pkg/registry/autoscaling/
// horizontalpodautoscaler): an empty status on create, v2 defaults; autoscaling/v1 is the same stored
// object converted at the edge (handlers/hpa-v1.ts).
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2';
import { Resources } from '../../lib/api/resources';
import { defaultHorizontalPodAutoscaler } from '../defaults/autoscaling';
import { hpaPrinter } from '../tables/autoscaling';
import { validateHorizontalPodAutoscaler } from '../validation/autoscaling';
import { defineKind, KindStrategy, startWithEmptyStatus } from './strategy';

export const autoscalingKinds: KindStrategy[] = [
  defineKind<HorizontalPodAutoscaler>(Resources.horizontalpodautoscalers, {
    prepareForCreate: startWithEmptyStatus,
    defaults: defaultHorizontalPodAutoscaler,
    validate: validateHorizontalPodAutoscaler,
    printer: hpaPrinter,
  }),
];
