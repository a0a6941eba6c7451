import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Empty as _containerd_services_tasks_v1_Empty, Empty__Output as _containerd_services_tasks_v1_Empty__Output } from './containerd/services/tasks/v1/Empty';
import type { KillRequest as _containerd_services_tasks_v1_KillRequest, KillRequest__Output as _containerd_services_tasks_v1_KillRequest__Output } from './containerd/services/tasks/v1/KillRequest';
import type { ListPidsRequest as _containerd_services_tasks_v1_ListPidsRequest, ListPidsRequest__Output as _containerd_services_tasks_v1_ListPidsRequest__Output } from './containerd/services/tasks/v1/ListPidsRequest';
import type { ListPidsResponse as _containerd_services_tasks_v1_ListPidsResponse, ListPidsResponse__Output as _containerd_services_tasks_v1_ListPidsResponse__Output } from './containerd/services/tasks/v1/ListPidsResponse';
import type { ProcessDetails as _containerd_services_tasks_v1_ProcessDetails, ProcessDetails__Output as _containerd_services_tasks_v1_ProcessDetails__Output } from './containerd/services/tasks/v1/ProcessDetails';
import type { ProcessDetailsAny as _containerd_services_tasks_v1_ProcessDetailsAny, ProcessDetailsAny__Output as _containerd_services_tasks_v1_ProcessDetailsAny__Output } from './containerd/services/tasks/v1/ProcessDetailsAny';
import type { ProcessInfo as _containerd_services_tasks_v1_ProcessInfo, ProcessInfo__Output as _containerd_services_tasks_v1_ProcessInfo__Output } from './containerd/services/tasks/v1/ProcessInfo';
import type { TasksClient as _containerd_services_tasks_v1_TasksClient, TasksDefinition as _containerd_services_tasks_v1_TasksDefinition } from './containerd/services/tasks/v1/Tasks';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  containerd: {
    services: {
      tasks: {
        v1: {
          Empty: MessageTypeDefinition<_containerd_services_tasks_v1_Empty, _containerd_services_tasks_v1_Empty__Output>
          KillRequest: MessageTypeDefinition<_containerd_services_tasks_v1_KillRequest, _containerd_services_tasks_v1_KillRequest__Output>
          ListPidsRequest: MessageTypeDefinition<_containerd_services_tasks_v1_ListPidsRequest, _containerd_services_tasks_v1_ListPidsRequest__Output>
          ListPidsResponse: MessageTypeDefinition<_containerd_services_tasks_v1_ListPidsResponse, _containerd_services_tasks_v1_ListPidsResponse__Output>
          ProcessDetails: MessageTypeDefinition<_containerd_services_tasks_v1_ProcessDetails, _containerd_services_tasks_v1_ProcessDetails__Output>
          ProcessDetailsAny: MessageTypeDefinition<_containerd_services_tasks_v1_ProcessDetailsAny, _containerd_services_tasks_v1_ProcessDetailsAny__Output>
          ProcessInfo: MessageTypeDefinition<_containerd_services_tasks_v1_ProcessInfo, _containerd_services_tasks_v1_ProcessInfo__Output>
          Tasks: SubtypeConstructor<typeof grpc.Client, _containerd_services_tasks_v1_TasksClient> & { service: _containerd_services_tasks_v1_TasksDefinition }
        }
      }
    }
  }
}

