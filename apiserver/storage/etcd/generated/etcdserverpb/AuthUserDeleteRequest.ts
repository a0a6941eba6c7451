// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface AuthUserDeleteRequest {
  'name'?: (string);
}

export interface AuthUserDeleteRequest__Output {
  'name': (string);
}
