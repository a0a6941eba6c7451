// The apiserver's face: what the composition root (cli/main, cli/cluster) and the benchmarks may use.
export { startApiServer, DEFAULT_MAX_BODY_BYTES } from './server';
export type { ApiServerOptions, AuditOptions, RunningApiServer } from './server';
export { authorizationModes, parseAuthorizationModes } from './auth/authorization';
export type { AuthorizationMode } from './auth/authorization';
export { clusterDnsIP } from './registry/cluster-dns-service';
export { defaultAdvertiseAddress } from './registry/kubernetes-service';
export { register as registerCommand } from './command';
export { alwaysAllow, privilegedGroups, unionAuthorizer } from './auth/authorizers';
export type { Attributes, Authenticator, Authorizer, AuthorizationResult, UserInfo } from './auth/types';
export type { KubeletClientOptions } from './kubelet-client';
