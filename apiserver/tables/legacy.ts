// Printers of the legacy kinds (kube's pkg/printers/internalversion): ReplicationControllers,
// PodTemplates, LimitRanges, ResourceQuotas, ComponentStatuses and PriorityClasses.
import type { ComponentStatus, LimitRange, PodTemplate, ReplicationController, ResourceQuota } from 'kubernetes-types/core/v1';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1';
import { formatQuantity, isQuantity } from '../../lib/api/quantity';
import { age, ageCol, col, containerColumns, containersCol, imagesCol, labelSetString, meta, nameCol, Printer, selectorCol } from './common';

export const replicationControllerPrinter: Printer = {
  columns: [
    nameCol,
    col('Desired', 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1.', 0, 'integer'),
    col('Current', 'Replicas is the most recently observed number of replicas.', 0, 'integer'),
    col('Ready', 'The number of ready replicas for this replication controller.', 0, 'integer'),
    ageCol,
    containersCol,
    imagesCol,
    selectorCol,
  ],
  cells(obj, now) {
    const rc = obj as ReplicationController;
    const [containers, images] = containerColumns(rc.spec?.template?.spec);
    return [meta(obj).name ?? '', rc.spec?.replicas ?? 0, rc.status?.replicas ?? 0, rc.status?.readyReplicas ?? 0, age(obj, now), containers, images, labelSetString(rc.spec?.selector)];
  },
};

export const podTemplatePrinter: Printer = {
  columns: [nameCol, col('Containers', 'Names of each container in the template.'), col('Images', 'Images referenced by each container in the template.'), col('Pod Labels', 'The labels for the pod template.')],
  cells(obj) {
    const pt = obj as PodTemplate;
    const [containers, images] = containerColumns(pt.template?.spec);
    return [meta(obj).name ?? '', containers, images, labelSetString(pt.template?.metadata?.labels)];
  },
};

export const limitRangePrinter: Printer = {
  columns: [nameCol, col('Created At', 'CreationTimestamp is a timestamp representing the server time when this object was created.', 0, 'date')],
  cells: (obj) => [meta(obj).name ?? '', (meta(obj).creationTimestamp ?? '').replace(/\.\d+Z$/, 'Z')],
};

const shown = (v: string | number | undefined): string => (v === undefined ? '0' : isQuantity(v) ? formatQuantity(v) : String(v));

export const resourceQuotaPrinter: Printer = {
  columns: [nameCol, ageCol, col('Request', 'Request represents a minimum amount of cpu/memory that a container may consume.'), col('Limit', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.')],
  cells(obj, now) {
    const q = obj as ResourceQuota;
    const hard = q.status?.hard ?? q.spec?.hard ?? {};
    const used = q.status?.used ?? {};
    const requests: string[] = [];
    const limits: string[] = [];
    for (const name of Object.keys(hard).sort()) {
      const cell = `${name}: ${shown(used[name])}/${shown(hard[name])}`;
      (name.startsWith('limits.') ? limits : requests).push(cell);
    }
    return [meta(obj).name ?? '', age(obj, now), requests.join(', '), limits.join(', ')];
  },
};

export const componentStatusPrinter: Printer = {
  columns: [nameCol, col('Status', 'Status of the component conditions'), col('Message', 'Message of the component conditions'), col('Error', 'Error of the component conditions')],
  cells(obj) {
    const cs = obj as ComponentStatus;
    const healthy = (cs.conditions ?? []).find((c) => c.type === 'Healthy');
    const status = !healthy ? 'Unknown' : healthy.status === 'True' ? 'Healthy' : 'Unhealthy';
    return [meta(obj).name ?? '', status, healthy?.message ?? '', healthy?.error ?? ''];
  },
};

export const priorityClassPrinter: Printer = {
  columns: [
    nameCol,
    col('Value', "The value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.", 0, 'integer'),
    col('Global-Default', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.', 0, 'boolean'),
    ageCol,
    col('PreemptionPolicy', 'PreemptionPolicy is the Policy for preempting pods with lower priority.'),
  ],
  cells(obj, now) {
    const pc = obj as unknown as PriorityClass;
    return [meta(obj).name ?? '', pc.value, pc.globalDefault ?? false, age(obj, now), pc.preemptionPolicy ?? ''];
  },
};
