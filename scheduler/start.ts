// Starting a scheduler as a component (kube-scheduler's app/server.go): the metrics server, the
// informers, then — at once, or once this instance holds the Lease when leader election is on — the
// scheduling loop; stop() undoes it all in reverse.
import * as http from 'node:http';
import * as os from 'node:os';
import { randomUUID } from 'node:crypto';
import { LEADER_ELECTION_DEFAULTS, LeaderElector } from '../lib/client/leader-election';
import { serveMetrics } from '../lib/component/metrics';
import type { SecureServingOptions } from '../lib/component/secure-serving';
import { DefaultSchedulerName } from './profile';
import { Scheduler, SchedulerConfig } from './scheduler';

export interface LeaderElectionOptions {
  namespace?: string; // default kube-system
  name?: string; // default kube-scheduler (or the scheduler name for another scheduler)
  identity?: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
}

export interface SchedulerOptions extends SchedulerConfig {
  leaderElect?: boolean;
  /** Where leadership changes are logged (default stdout). */
  log?: (msg: string) => void;
  leaderElection?: LeaderElectionOptions;
  /** Port for /metrics and /healthz (on metricsHost); 0 or unset: no server (as --metrics-port 0). */
  metricsPort?: number;
  metricsHost?: string; // default 127.0.0.1
  /** The metrics server's address, where port 0 picks a free port (tests); overrides metricsPort. */
  metricsListen?: { host?: string; port: number };
  /** Serve the metrics port over HTTPS with delegated authentication and authorization (lib/component/secure-serving.ts). */
  metricsServing?: SecureServingOptions;
}

export interface RunningScheduler {
  /** The metrics server's port, when one was started. */
  readonly metricsPort?: number;
  readonly scheduler: Scheduler;
  stop(): Promise<void>;
}

/** Starts a scheduler: informers, then (when leading, with leader election) the scheduling loop. */
export async function startScheduler(opts: SchedulerOptions): Promise<RunningScheduler> {
  // Elected: the elector is made first so that the scheduler's writes (bindings, events, status) go
  // through a client fenced by the Lease — refused once this instance may have lost it.
  let elector: LeaderElector | undefined;
  let scheduler: Scheduler | undefined;
  if (opts.leaderElect) {
    const le = opts.leaderElection ?? {};
    const schedulerName = opts.schedulerName ?? DefaultSchedulerName;
    const name = schedulerName === DefaultSchedulerName ? 'kube-scheduler' : schedulerName;
    const identity = le.identity ?? `${os.hostname()}_${randomUUID()}`;
    const log = opts.log ?? ((m: string) => console.log(`scheduler: ${m}`));
    elector = new LeaderElector(opts.client, {
      namespace: le.namespace ?? 'kube-system',
      name: le.name ?? name,
      identity,
      leaseDurationSeconds: le.leaseDurationSeconds ?? LEADER_ELECTION_DEFAULTS.leaseDurationSeconds,
      renewDeadlineSeconds: le.renewDeadlineSeconds ?? LEADER_ELECTION_DEFAULTS.renewDeadlineSeconds,
      retryPeriodSeconds: le.retryPeriodSeconds ?? LEADER_ELECTION_DEFAULTS.retryPeriodSeconds,
      onStartedLeading: () => {
        log(`${identity} became leader`);
        scheduler?.startLeading();
      },
      onStoppedLeading: () => {
        log(`${identity} stopped leading`);
        return scheduler?.stopLeading();
      },
    });
  }
  const sched = new Scheduler(elector ? { ...opts, client: elector.fencedClient(opts.client) } : opts);
  scheduler = sched;
  let metricsServer: http.Server | undefined;
  let metricsPort: number | undefined;
  const listen = opts.metricsListen ?? (opts.metricsPort ? { host: opts.metricsHost, port: opts.metricsPort } : undefined);
  if (listen) {
    metricsServer = await serveMetrics('scheduler', listen.host ?? '127.0.0.1', listen.port, opts.metricsServing);
    metricsPort = (metricsServer.address() as { port: number }).port;
  }
  try {
    await sched.startInformers();
  } catch (err) {
    await sched.stop();
    metricsServer?.close();
    throw err;
  }
  if (elector) void elector.run();
  else sched.startLeading();
  return {
    metricsPort,
    scheduler: sched,
    async stop() {
      await elector?.stop();
      await sched.stop();
      if (metricsServer) await new Promise<void>((resolve) => metricsServer?.close(() => resolve()));
    },
  };
}
