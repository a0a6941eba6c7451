// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface MemberListRequest {
}

export interface MemberListRequest__Output {
}
