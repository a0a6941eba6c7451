// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface AuthRoleGetRequest {
  'role'?: (string);
}

export interface AuthRoleGetRequest__Output {
  'role': (string);
}
