// The node agent's face: starting agents (real or hollow), the container runtime behind them, the
// host's runtime setup and teardown, what `steer down` cleans up after it (the service proxy's, the
// network policy enforcer's and the cluster DNS redirect's leftover rules, the mounts under the state dir), and the cluster DNS server
// (benchmarks run it on its own).
export { startNodeAgent } from './start';
export { defaultEviction } from './eviction/manager';
export type { StartNodeAgentOptions, RunningNodeAgent } from './start';
export { startHollowNodes } from './hollow';
export { ServiceAccountTokenManager, apiTokenRequester } from './volumes/tokens';
export type { HollowNodes, HollowNodesOptions } from './hollow';
export type { Prober, ProbeKind, ProbeTarget } from './probes';
export { LABEL_POD_UID } from './labels';
export { CriRuntime } from './runtime/cri/cri-runtime';
export { FakeRuntime } from './runtime/fake-runtime';
export type { ContainerConfig, ContainerRuntime, PodSandboxConfig } from './runtime/runtime';
export { ensureRuntime, teardownRuntime, podCgroupParent, IMAGES, DEFAULT_BRIDGE, DEFAULT_POD_SUBNET, REGISTRY } from './runtime-setup';
export type { RuntimeInfo, RuntimeOptions } from './runtime-setup';
export { removeProxyRules } from './network/service-proxy';
export { NetworkPolicyEnforcer, removeNetworkPolicyRules } from './network/network-policy';
export { computeNetworkPolicyRules } from './network/network-policy-rules';
export { mountPointsUnder, unmountUnder } from './mounts';
export { removeDnsRedirect } from './network/dns/redirect';
export { ClusterDns } from './network/dns/cluster-dns';
export type { ClusterDnsOptions } from './network/dns/cluster-dns';
export { register as registerCommand } from './command';
export { register as registerRuntimeCommand } from './runtime-setup/command';
