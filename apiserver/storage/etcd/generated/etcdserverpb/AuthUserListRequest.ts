// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface AuthUserListRequest {
}

export interface AuthUserListRequest__Output {
}
