// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface AuthDisableRequest {
}

export interface AuthDisableRequest__Output {
}
