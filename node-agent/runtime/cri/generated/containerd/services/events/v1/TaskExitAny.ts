// Original file: node-agent/runtime/cri/containerd-events.proto

import type { TaskExit as _containerd_services_events_v1_TaskExit, TaskExit__Output as _containerd_services_events_v1_TaskExit__Output } from '../../../../containerd/services/events/v1/TaskExit';

export interface TaskExitAny {
  'type_url'?: (string);
  'value'?: (_containerd_services_events_v1_TaskExit | null);
}

export interface TaskExitAny__Output {
  'type_url': (string);
  'value': (_containerd_services_events_v1_TaskExit__Output | null);
}
