// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto

import type { Long } from '@grpc/proto-loader';

export interface HashKVRequest {
  'revision'?: (number | string | Long);
}

export interface HashKVRequest__Output {
  'revision': (string);
}
