// Registers `steer scheduler`: runs the scheduler against the apiserver named by a kubeconfig until
// SIGINT/SIGTERM.
import { Command, InvalidArgumentError, Option } from 'commander';
import { KubeClient } from '../lib/client/client';
import { DefaultSchedulerName, isScorePluginName, ScorePluginName } from './profile';
import { startScheduler } from './start';
import { durationOption, intOption } from '../lib/component/flags';
import { LEADER_ELECTION_DEFAULTS } from '../lib/client/leader-election';
import { servingFromFlags, withServingFlags, type ServingFlags } from '../lib/component/serving-flags';


/** "NodeAffinity=5" (repeatable) → weights. */
function collectWeight(v: string, acc: Partial<Record<ScorePluginName, number>>): Partial<Record<ScorePluginName, number>> {
  const [name, weight] = v.split('=');
  if (!isScorePluginName(name)) throw new InvalidArgumentError(`unknown score plugin ${JSON.stringify(name)}`);
  const w = Number(weight);
  if (!Number.isInteger(w) || w < 0) throw new InvalidArgumentError('the weight must be a non-negative integer');
  return { ...acc, [name]: w };
}

interface SchedulerCommandOptions extends ServingFlags {
  kubeconfig?: string;
  server?: string;
  schedulerName: string;
  leaderElect: boolean;
  leaderElectNamespace: string;
  leaderElectLeaseDuration: number;
  leaderElectRenewDeadline: number;
  leaderElectRetryPeriod: number;
  metricsPort: number;
  bindAddress: string;
  percentageOfNodesToScore: number;
  scoreWeight: Partial<Record<ScorePluginName, number>>;
  parallelBinds: number;
}

export function register(program: Command): void {
  withServingFlags(program.command('scheduler'), 'the metrics port')
    .description('assign pending pods to nodes (binds them through pods/binding)')
    .option('--kubeconfig <file>', 'kubeconfig of the apiserver (default $KUBECONFIG or ~/.kube/config)')
    .option('--server <urls>', "the apiserver's URL, or several comma-separated to fail over between (overrides the kubeconfig's)")
    .option('--scheduler-name <name>', 'schedule the pods whose spec.schedulerName is this', DefaultSchedulerName)
    .addOption(new Option('--leader-elect', 'take part in leader election so that only one of several schedulers binds').default(false))
    .option('--leader-elect-namespace <ns>', 'namespace of the leader election Lease', 'kube-system')
    .option('--leader-elect-lease-duration <d>', 'lease duration: a crashed leader is replaced after about this plus two retry periods', durationOption('s'), LEADER_ELECTION_DEFAULTS.leaseDurationSeconds)
    .option('--leader-elect-renew-deadline <d>', 'how long the leader keeps trying to renew before it steps down (less than the lease duration)', durationOption('s'), LEADER_ELECTION_DEFAULTS.renewDeadlineSeconds)
    .option('--leader-elect-retry-period <d>', 'time between acquire/renew attempts', durationOption('s'), LEADER_ELECTION_DEFAULTS.retryPeriodSeconds)
    .option('--metrics-port <port>', 'port for /metrics and /healthz (0 disables)', intOption(0, 65535), 10251)
    .option('--bind-address <ip>', 'address the metrics server listens on', '0.0.0.0')
    .option(
      '--percentage-of-nodes-to-score <pct>',
      'share of nodes to find feasible before scoring (0 = adaptive: 50% minus 1% per 125 nodes, at least 5%)',
      intOption(0, 100),
      0,
    )
    .option('--score-weight <plugin=weight>', 'weight of a score plugin (repeatable), e.g. OwnerSpread=3', collectWeight, {})
    .option('--parallel-binds <n>', 'bind requests in flight at most', intOption(1, 10_000), 256)
    .action(async (o: SchedulerCommandOptions) => {
      const client = KubeClient.load({ kubeconfig: o.kubeconfig, server: o.server });
      const metricsServing = o.metricsPort ? await servingFromFlags(o, client, 'kube-scheduler') : undefined;
      const running = await startScheduler({
        metricsServing,
        client,
        schedulerName: o.schedulerName,
        leaderElect: o.leaderElect,
        leaderElection: {
          namespace: o.leaderElectNamespace,
          leaseDurationSeconds: o.leaderElectLeaseDuration,
          renewDeadlineSeconds: o.leaderElectRenewDeadline,
          retryPeriodSeconds: o.leaderElectRetryPeriod,
        },
        metricsPort: o.metricsPort,
        metricsHost: o.bindAddress,
        percentageOfNodesToScore: o.percentageOfNodesToScore,
        scoreWeights: o.scoreWeight,
        parallelBinds: o.parallelBinds,
      });
      const where = running.metricsPort ? `, metrics on ${metricsServing ? 'https' : 'http'}://${o.bindAddress}:${running.metricsPort}` : '';
      console.log(`steer scheduler ${o.schedulerName} running against ${client.servers.map((u) => u.origin).join(',')}${where}`);
      await new Promise<void>((resolve) => {
        const shutdown = () => resolve();
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
      await running.stop();
      client.close();
    });
}
