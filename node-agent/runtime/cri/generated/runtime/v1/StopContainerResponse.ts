// Original file: node-agent/runtime/cri/api.proto


export interface StopContainerResponse {
}

export interface StopContainerResponse__Output {
}
