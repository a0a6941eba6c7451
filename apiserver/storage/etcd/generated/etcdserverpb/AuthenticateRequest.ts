// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface AuthenticateRequest {
  'name'?: (string);
  'password'?: (string);
}

export interface AuthenticateRequest__Output {
  'name': (string);
  'password': (string);
}
