// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface LeaseLeasesRequest {
}

export interface LeaseLeasesRequest__Output {
}
