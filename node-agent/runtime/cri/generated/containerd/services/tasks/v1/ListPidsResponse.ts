// Original file: node-agent/runtime/cri/containerd-tasks.proto

import type { ProcessInfo as _containerd_services_tasks_v1_ProcessInfo, ProcessInfo__Output as _containerd_services_tasks_v1_ProcessInfo__Output } from '../../../../containerd/services/tasks/v1/ProcessInfo';

export interface ListPidsResponse {
  'processes'?: (_containerd_services_tasks_v1_ProcessInfo)[];
}

export interface ListPidsResponse__Output {
  'processes': (_containerd_services_tasks_v1_ProcessInfo__Output)[];
}
