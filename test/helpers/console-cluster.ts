// A cluster for the console's browser tests and benchmark, all in this process: an in-memory apiserver
// serving the console (freshly bundled), the scheduler, the controllers and hollow nodes (pods go
// Running and Ready without containers).
import { buildConsole } from '../../console';
import { startControllers } from '../../controllers';
import { startHollowNodes, type HollowNodes } from '../../node-agent';
import { startScheduler } from '../../scheduler';
import { startTestApiServer, type TestApiServer } from './apiserver';

export interface ConsoleCluster {
  api: TestApiServer;
  nodes: HollowNodes;
  stop(): Promise<void>;
}

let built: Promise<unknown> | undefined;

/** Bundles the console once per process, so a test never serves a stale or missing bundle. */
export function ensureConsoleBuilt(): Promise<unknown> {
  built ??= buildConsole();
  return built;
}

export async function startConsoleCluster(o: { nodes?: number; maxPods?: number; apiOptions?: Parameters<typeof startTestApiServer>[0] } = {}): Promise<ConsoleCluster> {
  await ensureConsoleBuilt();
  const api = await startTestApiServer({ console: true, ...o.apiOptions });
  const log = () => undefined;
  const nodes = await startHollowNodes({ client: api.client, count: o.nodes ?? 3, namePrefix: 'hollow-', maxPods: o.maxPods, leaseRenewIntervalMs: 2000, log });
  const scheduler = await startScheduler({ client: api.client });
  const controllers = await startControllers({ client: api.client, log, leaderElect: false });
  return {
    api,
    nodes,
    async stop() {
      await controllers.stop();
      await scheduler.stop();
      await nodes.stop();
      await api.stop();
    },
  };
}
