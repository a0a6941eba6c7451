// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface HashRequest {
}

export interface HashRequest__Output {
}
