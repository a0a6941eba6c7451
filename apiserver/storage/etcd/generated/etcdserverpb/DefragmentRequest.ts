// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface DefragmentRequest {
}

export interface DefragmentRequest__Output {
}
