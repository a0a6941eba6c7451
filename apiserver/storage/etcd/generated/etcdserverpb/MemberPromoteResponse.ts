// Original file: apiserver/storage/etcd/proto/etcd/etcdserver/etcdserverpb/rpc.proto

import type { ResponseHeader as _etcdserverpb_ResponseHeader, ResponseHeader__Output as _etcdserverpb_ResponseHeader__Output } from '../etcdserverpb/ResponseHeader';
import type { Member as _etcdserverpb_Member, Member__Output as _etcdserverpb_Member__Output } from '../etcdserverpb/Member';

export interface MemberPromoteResponse {
  'header'?: (_etcdserverpb_ResponseHeader | null);
  'members'?: (_etcdserverpb_Member)[];
}

export interface MemberPromoteResponse__Output {
  'header': (_etcdserverpb_ResponseHeader__Output | null);
  'members': (_etcdserverpb_Member__Output)[];
}
