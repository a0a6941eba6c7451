// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto

import type { Long } from '@grpc/proto-loader';

export interface LeaseRevokeRequest {
  'ID'?: (number | string | Long);
}

export interface LeaseRevokeRequest__Output {
  'ID': (string);
}
