// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface AuthRoleDeleteRequest {
  'role'?: (string);
}

export interface AuthRoleDeleteRequest__Output {
  'role': (string);
}
