// The apiserver's face: what the composition root (cli/main, cli/cluster) and the benchmarks may use.
export { startApiServer, DEFAULT_MAX_BODY_BYTES } from './server';
export type { ApiServerOptions, AuditOptions, RunningApiServer } from './server';
export { authorizationModes, parseAuthorizationModes } from './auth/authorization';
export type { AuthorizationMode } from './auth/authorization';
export { clusterDnsIP } from './registry/cluster-dns-service';
export { register as registerCommand, etcdFlags, storageFlags, storageOptions } from './command';
export type { StorageFlags } from './command';
export { openStorage, storageKind } from './storage/open';
export type { StorageKind, StorageOptions } from './storage/open';
export { migrateStorage } from './storage/migrate';
export type { MigrateResult } from './storage/migrate';
export { apiserverBuckets } from './registry/keys';
export { EtcdClient } from './storage/etcd/client';
export type { EtcdClientOptions } from './storage/etcd/client';
export { alwaysAllow, privilegedGroups, unionAuthorizer } from './auth/authorizers';
export type { Attributes, Authenticator, Authorizer, AuthorizationResult, UserInfo } from './auth/types';
export type { KubeletClientOptions } from './kubelet-client';
