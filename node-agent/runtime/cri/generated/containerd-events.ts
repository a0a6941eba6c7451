import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Envelope as _containerd_services_events_v1_Envelope, Envelope__Output as _containerd_services_events_v1_Envelope__Output } from './containerd/services/events/v1/Envelope';
import type { EventsClient as _containerd_services_events_v1_EventsClient, EventsDefinition as _containerd_services_events_v1_EventsDefinition } from './containerd/services/events/v1/Events';
import type { SubscribeRequest as _containerd_services_events_v1_SubscribeRequest, SubscribeRequest__Output as _containerd_services_events_v1_SubscribeRequest__Output } from './containerd/services/events/v1/SubscribeRequest';
import type { TaskExit as _containerd_services_events_v1_TaskExit, TaskExit__Output as _containerd_services_events_v1_TaskExit__Output } from './containerd/services/events/v1/TaskExit';
import type { TaskExitAny as _containerd_services_events_v1_TaskExitAny, TaskExitAny__Output as _containerd_services_events_v1_TaskExitAny__Output } from './containerd/services/events/v1/TaskExitAny';
import type { Timestamp as _containerd_services_events_v1_Timestamp, Timestamp__Output as _containerd_services_events_v1_Timestamp__Output } from './containerd/services/events/v1/Timestamp';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  containerd: {
    services: {
      events: {
        v1: {
          Envelope: MessageTypeDefinition<_containerd_services_events_v1_Envelope, _containerd_services_events_v1_Envelope__Output>
          Events: SubtypeConstructor<typeof grpc.Client, _containerd_services_events_v1_EventsClient> & { service: _containerd_services_events_v1_EventsDefinition }
          SubscribeRequest: MessageTypeDefinition<_containerd_services_events_v1_SubscribeRequest, _containerd_services_events_v1_SubscribeRequest__Output>
          TaskExit: MessageTypeDefinition<_containerd_services_events_v1_TaskExit, _containerd_services_events_v1_TaskExit__Output>
          TaskExitAny: MessageTypeDefinition<_containerd_services_events_v1_TaskExitAny, _containerd_services_events_v1_TaskExitAny__Output>
          Timestamp: MessageTypeDefinition<_containerd_services_events_v1_Timestamp, _containerd_services_events_v1_Timestamp__Output>
        }
      }
    }
  }
}

