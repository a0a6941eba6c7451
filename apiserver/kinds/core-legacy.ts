// The strategies of the legacy core/v1 kinds clients still exercise (kube's pkg/registry/core/*):
// ReplicationControllers (status and scale subresources; run by the replication controller),
// PodTemplates, LimitRanges and ResourceQuotas (their admission plugins are in apiserver/admission),
// and ComponentStatuses, computed on every read and never stored.
import type { LimitRange, PodTemplate, ReplicationController, ResourceQuota } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { componentStatuses } from '../registry/component-status';
import type { KObj } from '../storage/types';
import { componentStatusPrinter, limitRangePrinter, podTemplatePrinter, replicationControllerPrinter, resourceQuotaPrinter } from '../tables/legacy';
import {
  defaultLimitRange,
  defaultPodTemplate,
  defaultReplicationController,
  validateLimitRange,
  validatePodTemplate,
  validateReplicationController,
  validateResourceQuota,
} from '../validation/legacy';
import { defineKind, KindStrategy, startWithEmptyStatus } from './strategy';

export const coreLegacyKinds: KindStrategy[] = [
  defineKind<ReplicationController>(Resources.replicationcontrollers, {
    generationTracked: true,
    prepareForCreate: startWithEmptyStatus,
    defaults: defaultReplicationController,
    validate: validateReplicationController,
    printer: replicationControllerPrinter,
  }),
  defineKind<PodTemplate>(Resources.podtemplates, { defaults: defaultPodTemplate, validate: validatePodTemplate, printer: podTemplatePrinter }),
  defineKind<LimitRange>(Resources.limitranges, { defaults: defaultLimitRange, validate: validateLimitRange, printer: limitRangePrinter }),
  // status.used is kept by the resource quota controller; status.hard follows spec.hard at once.
  defineKind<ResourceQuota>(Resources.resourcequotas, {
    prepareForCreate: (q) => {
      const spec = (q.spec ?? {}) as { hard?: Record<string, unknown> };
      q.status = spec.hard ? { hard: { ...spec.hard } } : {};
    },
    validate: validateResourceQuota,
    printer: resourceQuotaPrinter,
  }),
  defineKind(Resources.componentstatuses, {
    read: async (registry) => (await componentStatuses(registry.componentTargets, registry.storage)) as unknown as KObj[],
    printer: componentStatusPrinter,
  }),
];
