// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto

import type { Long } from '@grpc/proto-loader';

export interface LeaseKeepAliveRequest {
  'ID'?: (number | string | Long);
}

export interface LeaseKeepAliveRequest__Output {
  'ID': (string);
}
