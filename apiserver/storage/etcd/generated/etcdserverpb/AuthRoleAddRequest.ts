// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface AuthRoleAddRequest {
  'name'?: (string);
}

export interface AuthRoleAddRequest__Output {
  'name': (string);
}
