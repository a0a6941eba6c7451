// Original file: node-agent/runtime/cri/containerd-tasks.proto

import type { ProcessDetails as _containerd_services_tasks_v1_ProcessDetails, ProcessDetails__Output as _containerd_services_tasks_v1_ProcessDetails__Output } from '../../../../containerd/services/tasks/v1/ProcessDetails';

export interface ProcessDetailsAny {
  'type_url'?: (string);
  'value'?: (_containerd_services_tasks_v1_ProcessDetails | null);
}

export interface ProcessDetailsAny__Output {
  'type_url': (string);
  'value': (_containerd_services_tasks_v1_ProcessDetails__Output | null);
}
