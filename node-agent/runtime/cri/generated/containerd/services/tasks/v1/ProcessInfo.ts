// Original file: node-agent/runtime/cri/containerd-tasks.proto

import type { ProcessDetailsAny as _containerd_services_tasks_v1_ProcessDetailsAny, ProcessDetailsAny__Output as _containerd_services_tasks_v1_ProcessDetailsAny__Output } from '../../../../containerd/services/tasks/v1/ProcessDetailsAny';

export interface ProcessInfo {
  'pid'?: (number);
  'info'?: (_containerd_services_tasks_v1_ProcessDetailsAny | null);
}

export interface ProcessInfo__Output {
  'pid': (number);
  'info': (_containerd_services_tasks_v1_ProcessDetailsAny__Output | null);
}
