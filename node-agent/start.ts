// Programmatic entry points: startNodeAgent (one agent + its HTTP server, used by `steer node-agent`,
// `steer up` and tests) and, in hollow.ts, startHollowNodes.
import { NodeAgent, NodeAgentOptions } from './agent';
import { defaultNodeAddress } from './node-status';
import { RunningAgentServer, startAgentServer } from './server';

export interface StartNodeAgentOptions extends NodeAgentOptions {
  /** HTTP port (default 10250; 0 = a free port; false = no server). */
  port?: number;
  serve?: boolean;
  /** Address the HTTP server binds to (default: the node address). */
  bindAddress?: string;
}

export interface RunningNodeAgent {
  agent: NodeAgent;
  nodeName: string;
  /** The HTTP server's port (0 without a server). */
  port: number;
  url: string;
  stop(): Promise<void>;
}

export async function startNodeAgent(opts: StartNodeAgentOptions): Promise<RunningNodeAgent> {
  const address = opts.address || defaultNodeAddress();
  let server: RunningAgentServer | undefined;
  let agent: NodeAgent | undefined;
  if (opts.serve !== false) {
    server = await startAgentServer(() => (agent ? [agent] : []), opts.bindAddress || address, opts.port ?? 10250);
  }
  agent = new NodeAgent({ ...opts, address, port: server?.port ?? opts.port ?? 10250 });
  try {
    await agent.start();
  } catch (err) {
    await agent.stop().catch(() => undefined);
    await server?.close();
    throw err;
  }
  const a = agent;
  return {
    agent: a,
    nodeName: a.nodeName,
    port: server?.port ?? 0,
    url: server?.url ?? '',
    stop: async () => {
      await a.stop();
      await server?.close();
    },
  };
}
