// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto


export interface AuthUserGetRequest {
  'name'?: (string);
}

export interface AuthUserGetRequest__Output {
  'name': (string);
}
