// The all-in-one cluster's face (`steer up`, `steer down`, `steer server`): the composition root that
// starts every component through its own face.
export { up, upSummary, serverEntry, serverNodeFlags, splitHostPort } from './up';
export type { UpOptions, UpResult } from './up';
export { down } from './down';
export { startEtcd, stopEtcd, etcdStatus, readEtcdCluster } from './etcd';
export type { EtcdCluster, EtcdMember, StartEtcdOptions } from './etcd';
export type { DownOptions } from './down';
export { startServer, runServer, defaultNodeName } from './server';
export type { ClusterOptions, ServerOptions } from './server';
export { clusterPaths, runningServerPid, defaultStateDir } from './state';
export { packageRoot } from '../package-root';
export type { ClusterPaths, ServerInfo } from './state';
export { register as registerCommand } from './command';
export type { Streams } from '../io';
