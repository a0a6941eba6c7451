// Original file: node-agent/runtime/cri/containerd-tasks.proto


export interface Empty {
}

export interface Empty__Output {
}
