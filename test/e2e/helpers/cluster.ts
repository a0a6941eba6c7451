// Shared e2e helper: a single-node cluster on real containerd for one test file — a runtime of its own
// (runtime.ts), an apiserver (test/helpers/apiserver.ts), one node agent on CRI and, when asked, the
// scheduler and controllers. Started in that order; stop() tears down in reverse, and so does a start
// that fails half-way, so a file's afterAll needs only `await cluster?.stop()`.
//
//   const cluster = await startSingleNodeCluster({ name: 'job', nodeName: 'e2e-job-node', scheduler: true,
//     controllers: ['job', 'garbage-collector'], agent: { relistIntervalMs: 200 } });
//   ... cluster.api.client ... cluster.cri ... cluster.agent.url ...
//   await cluster.stop();
import * as path from 'node:path';
// The start modules rather than the faces: the faces also load each component's command, which ts-jest
// would compile for every e2e file.
import { ControllerManagerOptions, ControllerName, RunningControllers, startControllers } from '../../../controllers/manager';
import { CriRuntime } from '../../../node-agent/runtime/cri/cri-runtime';
import { RunningNodeAgent, StartNodeAgentOptions, startNodeAgent } from '../../../node-agent/start';
import { RunningScheduler, startScheduler } from '../../../scheduler/start';
import { startTestApiServer, TestApiServer, TestApiServerOptions } from '../../helpers/apiserver';
import { startTestRuntime, TestRuntime } from './runtime';

/** Options given as they are, or made from what has started before them (certificates, addresses). */
export type Made<T, From> = T | ((from: From) => T | Promise<T>);

export interface SingleNodeClusterOptions {
  /** Names the runtime's slot, state dir and bridge (startTestRuntime). */
  name: string;
  nodeName: string;
  /** The apiserver's options (default: plain HTTP on loopback, no authentication). */
  api?: Made<TestApiServerOptions, { rt: TestRuntime }>;
  /**
   * The agent's options beyond the runtime's state dir, log root and cgroup root and a free loopback
   * port (relist interval, stats interval, local-path sweep, service proxy, DNS, secure serving…).
   * `client` defaults to the apiserver's; another one is the cluster's to close once the agent stops.
   */
  agent?: Made<Partial<StartNodeAgentOptions>, { rt: TestRuntime; api: TestApiServer }>;
  /** Run the scheduler (default: no; pods then name their node). */
  scheduler?: boolean;
  /** The controllers to run (default: none, and no controller manager). */
  controllers?: ControllerName[];
  controllerOptions?: Made<Omit<Partial<ControllerManagerOptions>, 'client' | 'controllers'>, { rt: TestRuntime; api: TestApiServer }>;
}

export interface SingleNodeCluster {
  rt: TestRuntime;
  api: TestApiServer;
  cri: CriRuntime;
  nodeName: string;
  /** The agent's state dir (pods, local-path volumes): <runtime state dir>/agent. */
  agentStateDir: string;
  /** The running agent (a new one after restartAgent). */
  readonly agent: RunningNodeAgent;
  scheduler?: RunningScheduler;
  controllers?: RunningControllers;
  /** Stops the agent now (stop() then has no agent to stop). */
  stopAgent(): Promise<void>;
  /** Stops the agent and starts a new one with the same options (what a kubelet restart does). */
  restartAgent(): Promise<RunningNodeAgent>;
  /** Stops everything that started, in reverse order. */
  stop(): Promise<void>;
}

const made = <T, From>(o: Made<T, From> | undefined, from: From): T | Promise<T> | undefined => (typeof o === 'function' ? (o as (f: From) => T | Promise<T>)(from) : o);

export async function startSingleNodeCluster(o: SingleNodeClusterOptions): Promise<SingleNodeCluster> {
  // What has started, last first. stop() runs them all even when one fails (then rethrows the first
  // failure), and only once.
  const stops: Array<() => unknown> = [];
  const stop = async () => {
    let failure: unknown;
    while (stops.length) {
      try {
        await stops.shift()!();
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
  };
  try {
    const rt = await startTestRuntime(o.name);
    stops.unshift(() => rt.stop());
    const api = await startTestApiServer(await made(o.api, { rt }));
    stops.unshift(() => api.stop());
    const cri = new CriRuntime(rt.criSocket);
    stops.unshift(() => cri.close());

    const agentStateDir = path.join(rt.stateDir, 'agent');
    const agentOptions: StartNodeAgentOptions = {
      client: api.client,
      nodeName: o.nodeName,
      runtime: cri,
      stateDir: agentStateDir,
      // As `steer server`: memory-backed volumes on a tmpfs under the runtime dir, whose teardown unmounts it.
      tmpfsVolumes: true,
      hostUsage: true,
      logRoot: rt.podLogDir,
      cgroupRoot: rt.cgroupRoot,
      address: '127.0.0.1',
      port: 0,
      log: (m) => console.error(m),
      ...(await made(o.agent, { rt, api })),
    };
    if (agentOptions.client !== api.client) stops.unshift(() => agentOptions.client.close());
    let agent: RunningNodeAgent | undefined = await startNodeAgent(agentOptions);
    const stopAgent = async () => {
      const running = agent;
      agent = undefined;
      await running?.stop();
    };
    // Stops whichever agent runs then (restartAgent replaces it; stopAgent leaves none).
    stops.unshift(stopAgent);

    let scheduler: RunningScheduler | undefined;
    if (o.scheduler) {
      scheduler = await startScheduler({ client: api.client });
      stops.unshift(() => scheduler!.stop());
    }
    let controllers: RunningControllers | undefined;
    if (o.controllers) {
      controllers = await startControllers({ client: api.client, controllers: o.controllers, log: () => undefined, ...(await made(o.controllerOptions, { rt, api })) });
      stops.unshift(() => controllers!.stop());
    }

    return {
      rt,
      api,
      cri,
      nodeName: o.nodeName,
      agentStateDir,
      get agent() {
        if (!agent) throw new Error('the node agent is not running');
        return agent;
      },
      scheduler,
      controllers,
      stopAgent,
      async restartAgent() {
        await stopAgent();
        agent = await startNodeAgent(agentOptions);
        return agent;
      },
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
