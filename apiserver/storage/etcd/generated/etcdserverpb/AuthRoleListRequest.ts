// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface AuthRoleListRequest {
}

export interface AuthRoleListRequest__Output {
}
