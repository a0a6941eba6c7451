// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto

import type { ResponseHeader as _etcdserverpb_ResponseHeader, ResponseHeader__Output as _etcdserverpb_ResponseHeader__Output } from '../etcdserverpb/ResponseHeader';

export interface AuthDisableResponse {
  'header'?: (_etcdserverpb_ResponseHeader | null);
}

export interface AuthDisableResponse__Output {
  'header': (_etcdserverpb_ResponseHeader__Output | null);
}
