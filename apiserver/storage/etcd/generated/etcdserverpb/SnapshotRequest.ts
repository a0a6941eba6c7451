// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface SnapshotRequest {
}

export interface SnapshotRequest__Output {
}
