// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface WatchProgressRequest {
}

export interface WatchProgressRequest__Output {
}
