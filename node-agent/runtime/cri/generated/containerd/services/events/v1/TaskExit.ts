// Original file: node-agent/runtime/cri/containerd-events.proto

import type { Timestamp as _containerd_services_events_v1_Timestamp, Timestamp__Output as _containerd_services_events_v1_Timestamp__Output } from '../../../../containerd/services/events/v1/Timestamp';

export interface TaskExit {
  'container_id'?: (string);
  'id'?: (string);
  'pid'?: (number);
  'exit_status'?: (number);
  'exited_at'?: (_containerd_services_events_v1_Timestamp | null);
}

export interface TaskExit__Output {
  'container_id': (string);
  'id': (string);
  'pid': (number);
  'exit_status': (number);
  'exited_at': (_containerd_services_events_v1_Timestamp__Output | null);
}
