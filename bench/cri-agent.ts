// A node agent on a bench's real containerd (what ensureRuntime set up): the options every CRI bench
// gives it, so each bench names only what it does differently.
import * as path from 'node:path';
import type { KubeClient } from '../lib/client/client';
import { CriRuntime, startNodeAgent } from '../node-agent';
import type { RunningNodeAgent, RuntimeInfo, StartNodeAgentOptions } from '../node-agent';

export type CriBenchAgentOptions = Partial<Omit<StartNodeAgentOptions, 'client' | 'nodeName' | 'runtime'>>;

/** Starts the agent on loopback, an ephemeral port, state under `<stateDir>/agent`, no stats polling, quiet. */
export function startCriBenchAgent(client: KubeClient, cri: CriRuntime, info: RuntimeInfo, stateDir: string, nodeName: string, extra: CriBenchAgentOptions = {}): Promise<RunningNodeAgent> {
  return startNodeAgent({
    client,
    nodeName,
    runtime: cri,
    stateDir: path.join(stateDir, 'agent'),
    logRoot: info.podLogDir,
    cgroupRoot: info.cgroupRoot,
    address: '127.0.0.1',
    port: 0,
    statsIntervalMs: 0,
    log: () => undefined,
    ...extra,
  });
}
