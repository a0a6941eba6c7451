// Original file: apiserver/storage/etcd/proto/etcd/auth/authpb/auth.proto


export interface UserAddOptions {
  'no_password'?: (boolean);
}

export interface UserAddOptions__Output {
  'no_password': (boolean);
}
