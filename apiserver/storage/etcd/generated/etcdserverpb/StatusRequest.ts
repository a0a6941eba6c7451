// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface StatusRequest {
}

export interface StatusRequest__Output {
}
