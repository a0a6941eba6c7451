// Registers `steer controllers`: the controller manager (Deployment, ReplicaSet, DaemonSet, garbage
// collector, node lifecycle) against an apiserver, optionally with leader election. Runs until
// SIGINT/SIGTERM, then steps down (releasing the Lease) and exits.
import { Command, InvalidArgumentError } from 'commander';
import { KubeClient } from '../lib/client/client';
import { LEADER_ELECTION_DEFAULTS } from '../lib/client/leader-election';
import { allControllerNames, ControllerName, startControllers } from './manager';
import { DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS, DEFAULT_NODE_MONITOR_PERIOD_MS } from './node-lifecycle';
import { DEFAULT_TERMINATED_POD_GC_THRESHOLD } from './podgc/gc';
import { durationOption, intOption } from '../lib/component/flags';
import { servingFromFlags, withServingFlags, type ServingFlags } from '../lib/component/serving-flags';

interface ControllersFlags extends ServingFlags {
  kubeconfig?: string;
  server?: string;
  identity?: string;
  leaderElect?: boolean;
  leaderElectLeaseDuration: number;
  leaderElectRenewDeadline: number;
  leaderElectRetryPeriod: number;
  leaderElectResourceNamespace: string;
  leaderElectResourceName: string;
  metricsPort: number;
  metricsBindAddress: string;
  controllers?: string;
  workers?: number;
  nodeMonitorGracePeriod: number;
  nodeMonitorPeriod: number;
  rootCaFile?: string;
  clusterSigningCertFile?: string;
  clusterSigningKeyFile?: string;
  clusterSigningDuration: number;
  horizontalPodAutoscalerSyncPeriod: number;
  horizontalPodAutoscalerTolerance: number;
  horizontalPodAutoscalerDownscaleStabilization: number;
  terminatedPodGcThreshold: number;
}

function ratioOption(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`invalid ratio ${JSON.stringify(v)}: a non-negative number`);
  return n;
}



export function register(program: Command): void {
  withServingFlags(program.command('controllers'), 'the metrics port')
    .description('run the controller manager (deployment, replicaset, daemonset, garbage collector, node lifecycle, horizontal pod autoscaler, cronjob, disruption, ...)')
    .option('--kubeconfig <file>', 'kubeconfig of the apiserver (default $KUBECONFIG or ~/.kube/config)')
    .option('--server <urls>', 'apiserver URL, or several comma-separated to fail over between (overrides the kubeconfig)')
    .option('--identity <id>', 'leader election identity (default hostname_uuid)')
    .option('--leader-elect', 'campaign for the kube-system Lease; only the leader runs controllers')
    .option('--leader-elect-lease-duration <d>', 'lease duration: a crashed leader is replaced after about this plus two retry periods', durationOption('s'), LEADER_ELECTION_DEFAULTS.leaseDurationSeconds)
    .option('--leader-elect-renew-deadline <d>', 'how long the leader keeps trying to renew before it steps down (less than the lease duration)', durationOption('s'), LEADER_ELECTION_DEFAULTS.renewDeadlineSeconds)
    .option('--leader-elect-retry-period <d>', 'time between acquire/renew attempts', durationOption('s'), LEADER_ELECTION_DEFAULTS.retryPeriodSeconds)
    .option('--leader-elect-resource-namespace <ns>', 'namespace of the Lease', 'kube-system')
    .option('--leader-elect-resource-name <name>', 'name of the Lease', 'steer-controller-manager')
    .option('--metrics-port <port>', 'serve /metrics on this port (0 disables)', intOption(0, Number.MAX_SAFE_INTEGER, '--metrics-port'), 10252)
    .option('--metrics-bind-address <addr>', 'address for /metrics', '0.0.0.0')
    .option('--controllers <list>', `comma-separated controllers to run (default all: ${allControllerNames.join(',')})`)
    .option('--workers <n>', 'concurrent reconciles per controller', intOption(0, Number.MAX_SAFE_INTEGER, '--workers'))
    .option('--node-monitor-grace-period <d>', 'a node silent this long is marked unreachable and its pods evicted', durationOption('s'), DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS)
    .option('--node-monitor-period <d>', 'how often nodes are checked', durationOption('s'), DEFAULT_NODE_MONITOR_PERIOD_MS / 1000)
    .option('--horizontal-pod-autoscaler-sync-period <d>', 'how often every HorizontalPodAutoscaler is synced', durationOption('ms'), 15_000)
    .option('--horizontal-pod-autoscaler-tolerance <ratio>', 'how far the usage ratio may stray from 1.0 before the HPA scales', ratioOption, 0.1)
    .option('--horizontal-pod-autoscaler-downscale-stabilization <d>', 'scale-down stabilization window of HPAs whose behavior sets none', durationOption('ms'), 5 * 60_000)
    .option('--root-ca-file <file>', 'CA bundle published as the kube-root-ca.crt ConfigMap in every namespace (default: the CA of the kubeconfig)')
    .option('--cluster-signing-cert-file <file>', 'CA certificate (PEM) that signs approved CertificateSigningRequests of the kubernetes.io signers (with --cluster-signing-key-file; without both the csrsigning controller does not run)')
    .option('--cluster-signing-key-file <file>', 'the private key (PEM) of --cluster-signing-cert-file')
    .option('--cluster-signing-duration <d>', 'the longest certificate the csrsigning controller issues', durationOption('ms'), 365 * 24 * 3600_000)
    .option('--terminated-pod-gc-threshold <n>', 'terminated (Succeeded/Failed) pods kept before the pod garbage collector deletes the oldest (0: never)', intOption(0, Number.MAX_SAFE_INTEGER, '--terminated-pod-gc-threshold'), DEFAULT_TERMINATED_POD_GC_THRESHOLD)
    .action(async (f: ControllersFlags) => {
      let controllers: ControllerName[] | undefined;
      if (f.controllers) {
        const names = f.controllers.split(',').map((s) => s.trim()).filter(Boolean);
        const unknown = names.filter((n) => !(allControllerNames as readonly string[]).includes(n));
        if (unknown.length) throw new InvalidArgumentError(`unknown controllers: ${unknown.join(', ')}`);
        controllers = names as ControllerName[];
      }
      if (!f.clusterSigningCertFile !== !f.clusterSigningKeyFile) throw new InvalidArgumentError('--cluster-signing-cert-file and --cluster-signing-key-file go together');
      const client = KubeClient.load({ kubeconfig: f.kubeconfig, server: f.server });
      const metricsServing = f.metricsPort ? await servingFromFlags(f, client, 'kube-controller-manager') : undefined;
      const running = await startControllers({
        metricsServing,
        client,
        identity: f.identity,
        leaderElect: !!f.leaderElect,
        leaseNamespace: f.leaderElectResourceNamespace,
        leaseName: f.leaderElectResourceName,
        leaseDurationSeconds: f.leaderElectLeaseDuration,
        renewDeadlineSeconds: f.leaderElectRenewDeadline,
        retryPeriodSeconds: f.leaderElectRetryPeriod,
        metricsPort: f.metricsPort,
        metricsHost: f.metricsBindAddress,
        controllers,
        workers: f.workers,
        nodeLifecycle: { nodeMonitorGracePeriodSeconds: f.nodeMonitorGracePeriod, nodeMonitorPeriodMs: f.nodeMonitorPeriod * 1000 },
        rootCAFile: f.rootCaFile,
        clusterSigning: f.clusterSigningCertFile && f.clusterSigningKeyFile ? { certFile: f.clusterSigningCertFile, keyFile: f.clusterSigningKeyFile, durationMs: f.clusterSigningDuration } : undefined,
        podGc: { terminatedPodThreshold: f.terminatedPodGcThreshold },
        podAutoscaler: {
          syncPeriodMs: f.horizontalPodAutoscalerSyncPeriod,
          tolerance: f.horizontalPodAutoscalerTolerance,
          downscaleStabilizationMs: f.horizontalPodAutoscalerDownscaleStabilization,
        },
      });
      if (running.metricsPort) console.log(`controllers: metrics on ${metricsServing ? 'https' : 'http'}://:${running.metricsPort}/metrics`);
      console.log(`controllers: ${running.identity} running against ${client.servers.map((u) => u.origin).join(',')}${f.leaderElect ? ' (leader election on)' : ''}`);
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await running.stop();
      client.close();
    });
}
