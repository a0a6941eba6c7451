// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface AuthEnableRequest {
}

export interface AuthEnableRequest__Output {
}
