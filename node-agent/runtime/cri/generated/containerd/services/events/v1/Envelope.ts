// Original file: node-agent/runtime/cri/containerd-events.proto

import type { Timestamp as _containerd_services_events_v1_Timestamp, Timestamp__Output as _containerd_services_events_v1_Timestamp__Output } from '../../../../containerd/services/events/v1/Timestamp';
import type { TaskExitAny as _containerd_services_events_v1_TaskExitAny, TaskExitAny__Output as _containerd_services_events_v1_TaskExitAny__Output } from '../../../../containerd/services/events/v1/TaskExitAny';

export interface Envelope {
  'timestamp'?: (_containerd_services_events_v1_Timestamp | null);
  'namespace'?: (string);
  'topic'?: (string);
  'event'?: (_containerd_services_events_v1_TaskExitAny | null);
}

export interface Envelope__Output {
  'timestamp': (_containerd_services_events_v1_Timestamp__Output | null);
  'namespace': (string);
  'topic': (string);
  'event': (_containerd_services_events_v1_TaskExitAny__Output | null);
}
