// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface AuthUserChangePasswordRequest {
  'name'?: (string);
  'password'?: (string);
}

export interface AuthUserChangePasswordRequest__Output {
  'name': (string);
  'password': (string);
}
