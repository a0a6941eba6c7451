// Original file: node-agent/runtime/cri/containerd-tasks.proto


export interface ProcessDetails {
  'exec_id'?: (string);
}

export interface ProcessDetails__Output {
  'exec_id': (string);
}
