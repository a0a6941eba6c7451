// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto

import type { Long } from '@grpc/proto-loader';

export interface MemberRemoveRequest {
  'ID'?: (number | string | Long);
}

export interface MemberRemoveRequest__Output {
  'ID': (string);
}
