// The controller manager (steer's kube-controller-manager): runs every controller in one process on one
// set of shared informers. With leader election, instances campaign for a Lease in kube-system and only
// the leader runs controllers; when it loses the Lease it stops them, and the next leader starts afresh.
// It serves /metrics (workqueue, reconcile, convergence and kube-state-metrics) on --metrics-port.
import * as http from 'node:http';
import * as os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { KubeClient } from '../lib/client/client';
import type { Controller, ControllerContext } from '../lib/client/controller';
import { EventRecorder } from '../lib/client/events';
import { LEADER_ELECTION_DEFAULTS, LeaderElector } from '../lib/client/leader-election';
import { serveMetrics } from '../lib/component/metrics';
import type { SecureServingOptions } from '../lib/component/secure-serving';
import { Resources } from '../lib/api/resources';
import { SharedInformerFactory } from '../lib/client/shared-informers';
import { DaemonSetController } from './daemonset/controller';
import { DeploymentController } from './deployment/controller';
import { EndpointsController } from './endpoints';
import { GarbageCollector } from './garbage-collector';
import { JobController } from './job';
import { CronJobController } from './cronjob/controller';
import { DisruptionController } from './disruption/controller';
import { PodAutoscalerController, type PodAutoscalerOptions } from './podautoscaler/controller';
import { ClusterRoleAggregationController } from './clusterrole-aggregation';
import { addStateSource } from './metrics';
import { NodeLifecycleController, NodeLifecycleOptions } from './node-lifecycle';
import { ReplicaSetController } from './replicaset';
import { ReplicationControllerController } from './replicationcontroller';
import { ResourceQuotaController } from './resourcequota';
import { RootCAPublisher } from './root-ca-publisher';
import { CertificateSigningController, CsrCleaner, type ClusterSigningOptions, type CsrCleanerOptions } from './certificates/controller';
import { StatefulSetController } from './statefulset/controller';
import { PersistentVolumeBinderController } from './persistentvolume/controller';
import { VolumeProtectionController } from './persistentvolume/protection-controller';
import { LocalPathProvisionerController } from './local-path-provisioner/controller';
import { PodGcController, type PodGcOptions } from './podgc/controller';
import { EphemeralVolumeController } from './ephemeral-volume/controller';
import { ServiceLbController } from './service-lb/controller';

export const allControllerNames = ['deployment', 'replicaset', 'daemonset', 'garbage-collector', 'node-lifecycle', 'endpoints', 'job', 'root-ca-cert-publisher', 'clusterrole-aggregation', 'statefulset', 'persistentvolume-binder', 'persistentvolume-protection', 'local-path-provisioner', 'horizontalpodautoscaling', 'cronjob', 'disruption', 'replicationcontroller', 'resourcequota', 'csrsigning', 'csrcleaner', 'podgc', 'ephemeral-volume', 'service-lb'] as const;
export type ControllerName = (typeof allControllerNames)[number];

export interface ControllerManagerOptions {
  client: KubeClient;
  /** Unique per instance (default hostname_uuid). */
  identity?: string;
  /** Campaign for the Lease before running controllers (default false: run at once). */
  leaderElect?: boolean;
  leaseNamespace?: string; // kube-system
  leaseName?: string; // steer-controller-manager
  leaseDurationSeconds?: number; // 15
  renewDeadlineSeconds?: number; // 10
  retryPeriodSeconds?: number; // 2
  /** Serve /metrics on this port (the command's default is 10252; 0 or unset: no metrics server). */
  metricsPort?: number;
  metricsHost?: string;
  /** Explicit metrics address; port 0 picks a free port (tests). Overrides metricsPort. */
  metricsListen?: { host?: string; port: number };
  /** Serve the metrics port over HTTPS with delegated authentication and authorization (lib/component/secure-serving.ts). */
  metricsServing?: SecureServingOptions;
  /** Which controllers to run (default all). */
  controllers?: ControllerName[];
  nodeLifecycle?: NodeLifecycleOptions;
  /** The HorizontalPodAutoscaler's sync period, tolerance and readiness periods. */
  podAutoscaler?: PodAutoscalerOptions;
  /** Concurrent reconciles per controller (default each controller's own). */
  workers?: number;
  /**
   * Informers shared with the other components of this process (`steer server`), used instead of a
   * factory of the controllers' own; started here, stopped by their owner. Not with leader election:
   * each term then starts on fresh informers.
   */
  informers?: SharedInformerFactory;
  /** --root-ca-file: the CA bundle published as kube-root-ca.crt in every namespace (default: the CA this client trusts). */
  rootCAFile?: string;
  /** The bundle itself (PEM), when not read from a file. */
  rootCA?: string;
  /**
   * --cluster-signing-cert-file, --cluster-signing-key-file, --cluster-signing-duration: the CA the
   * csrsigning controller signs approved CertificateSigningRequests with; without it that controller
   * does not run (as in kube-controller-manager).
   */
  clusterSigning?: ClusterSigningOptions;
  /** The CSR cleaner's period and clock (default an hour, the wall clock). */
  csrCleaner?: CsrCleanerOptions;
  /** The pod garbage collector's threshold, periods and clock (default kube's: 12500, 20 s, 40 s). */
  podGc?: PodGcOptions;
  log?: (msg: string) => void;
}

export interface RunningControllers {
  identity: string;
  /** The bound metrics port, when serving metrics. */
  metricsPort?: number;
  isLeader(): boolean;
  /** Stops; releaseLease: false leaves the Lease to expire, as a crash would (tests). */
  stop(o?: { releaseLease?: boolean }): Promise<void>;
}

interface ActiveSet {
  informers: SharedInformerFactory;
  recorder: EventRecorder;
  controllers: Controller[];
  removeSource: () => void;
}


export async function startControllers(opts: ControllerManagerOptions): Promise<RunningControllers> {
  if (opts.leaderElect && opts.informers) throw new Error('controller manager: shared informers cannot be used with leader election');
  const identity = opts.identity ?? `${os.hostname()}_${randomUUID()}`;
  const log = opts.log ?? ((m: string) => console.log(`controllers: ${m}`));
  const enabled = new Set<ControllerName>(opts.controllers ?? allControllerNames);
  let active: ActiveSet | undefined;
  let transition: Promise<void> = Promise.resolve();

  let elector: LeaderElector | undefined;
  const startSet = async (): Promise<void> => {
    // Elected: the controllers' writes are fenced by the Lease (refused once this instance may have lost it).
    const client = elector ? elector.fencedClient(opts.client) : opts.client;
    const informers = opts.informers ?? new SharedInformerFactory(client);
    const recorder = new EventRecorder(client, { component: 'controller-manager', host: identity });
    const ctx: ControllerContext = { client, informers, recorder };
    const w = opts.workers !== undefined ? { workers: opts.workers } : {};
    const controllers: Controller[] = [];
    if (enabled.has('deployment')) controllers.push(new DeploymentController(ctx, w));
    if (enabled.has('replicaset')) controllers.push(new ReplicaSetController(ctx, w));
    if (enabled.has('daemonset')) controllers.push(new DaemonSetController(ctx, w));
    if (enabled.has('garbage-collector')) controllers.push(new GarbageCollector(ctx, w));
    if (enabled.has('node-lifecycle')) controllers.push(new NodeLifecycleController(ctx, opts.nodeLifecycle));
    if (enabled.has('endpoints')) controllers.push(new EndpointsController(ctx, w));
    if (enabled.has('job')) controllers.push(new JobController(ctx, w));
    if (enabled.has('root-ca-cert-publisher')) controllers.push(new RootCAPublisher(ctx, { rootCAFile: opts.rootCAFile, rootCA: opts.rootCA }));
    if (enabled.has('clusterrole-aggregation')) controllers.push(new ClusterRoleAggregationController(ctx));
    if (enabled.has('statefulset')) controllers.push(new StatefulSetController(ctx, w));
    if (enabled.has('persistentvolume-binder')) controllers.push(new PersistentVolumeBinderController(ctx));
    if (enabled.has('persistentvolume-protection')) controllers.push(new VolumeProtectionController(ctx));
    if (enabled.has('local-path-provisioner')) controllers.push(new LocalPathProvisionerController(ctx));
    if (enabled.has('horizontalpodautoscaling')) controllers.push(new PodAutoscalerController(ctx, opts.podAutoscaler));
    if (enabled.has('cronjob')) controllers.push(new CronJobController(ctx));
    if (enabled.has('disruption')) controllers.push(new DisruptionController(ctx));
    if (enabled.has('replicationcontroller')) controllers.push(new ReplicationControllerController(ctx, w));
    if (enabled.has('resourcequota')) controllers.push(new ResourceQuotaController(ctx));
    if (enabled.has('csrsigning') && opts.clusterSigning) controllers.push(new CertificateSigningController(ctx, opts.clusterSigning));
    if (enabled.has('csrcleaner')) controllers.push(new CsrCleaner(ctx, { log, ...opts.csrCleaner }));
    if (enabled.has('podgc')) controllers.push(new PodGcController(ctx, { log, ...opts.podGc }));
    if (enabled.has('ephemeral-volume')) controllers.push(new EphemeralVolumeController(ctx, w));
    if (enabled.has('service-lb')) controllers.push(new ServiceLbController(ctx));
    const deployments = informers.informerFor<Deployment>(Resources.deployments);
    const pods = informers.informerFor<Pod>(Resources.pods);
    const nodes = informers.informerFor<Node>(Resources.nodes);
    const removeSource = addStateSource({ deployments: () => deployments.list(), pods: () => pods.list(), nodes: () => nodes.list() });
    active = { informers, recorder, controllers, removeSource };
    informers.start();
    await Promise.all(controllers.map((c) => c.start()));
    log(`${identity} running controllers: ${controllers.map((c) => c.name).join(', ')}`);
  };

  const stopSet = async (): Promise<void> => {
    const set = active;
    active = undefined;
    if (!set) return;
    for (const c of set.controllers) c.stop();
    // Let in-flight reconciles finish before the informers go away, but never wait on a stuck one.
    const drained = Promise.all(set.controllers.map((c) => (c as Controller & { stopped?: () => Promise<void> }).stopped?.()));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, 5000)))]);
    clearTimeout(timer);
    if (set.informers !== opts.informers) set.informers.stop();
    set.removeSource();
    await set.recorder.flush();
  };

  // Leadership changes are applied one after another, never overlapping.
  const serialize = (fn: () => Promise<void>): Promise<void> => {
    transition = transition.then(fn).catch((err: unknown) => log(`error: ${(err as Error)?.message ?? err}`));
    return transition;
  };

  let metricsServer: http.Server | undefined;
  let metricsPort: number | undefined;
  const listen = opts.metricsListen ?? (opts.metricsPort ? { host: opts.metricsHost, port: opts.metricsPort } : undefined);
  if (listen) {
    metricsServer = await serveMetrics('controllers', listen.host ?? '0.0.0.0', listen.port, opts.metricsServing);
    metricsPort = (metricsServer.address() as { port: number }).port;
  }

  if (opts.leaderElect) {
    elector = new LeaderElector(opts.client, {
      namespace: opts.leaseNamespace ?? 'kube-system',
      name: opts.leaseName ?? 'steer-controller-manager',
      identity,
      leaseDurationSeconds: opts.leaseDurationSeconds ?? LEADER_ELECTION_DEFAULTS.leaseDurationSeconds,
      renewDeadlineSeconds: opts.renewDeadlineSeconds ?? LEADER_ELECTION_DEFAULTS.renewDeadlineSeconds,
      retryPeriodSeconds: opts.retryPeriodSeconds ?? LEADER_ELECTION_DEFAULTS.retryPeriodSeconds,
      onStartedLeading: () => {
        log(`${identity} became leader`);
        void serialize(startSet);
      },
      onStoppedLeading: () => {
        log(`${identity} stopped leading`);
        return serialize(stopSet);
      },
    });
    void elector.run();
  } else {
    await serialize(startSet);
  }

  return {
    identity,
    metricsPort,
    isLeader: () => (elector ? elector.isLeader() && active !== undefined : active !== undefined),
    async stop(o: { releaseLease?: boolean } = {}) {
      await elector?.stop(o.releaseLease ?? true);
      await serialize(stopSet);
      if (metricsServer) {
        const closed = new Promise<void>((resolve) => metricsServer?.close(() => resolve()));
        metricsServer.closeAllConnections(); // scrapers keep connections alive
        await closed;
      }
    },
  };
}
