// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface AuthUserGrantRoleRequest {
  'user'?: (string);
  'role'?: (string);
}

export interface AuthUserGrantRoleRequest__Output {
  'user': (string);
  'role': (string);
}
