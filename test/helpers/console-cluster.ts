// A cluster for the console's browser tests and benchmark, all in this process, secured as `steer up`
// serves it: HTTPS, bearer tokens from a static token file, Node,RBAC authorization, no anonymous
// requests. An apiserver serving the console (freshly bundled), the scheduler, the controllers and
// hollow nodes (pods go Running and Ready without containers). Two users log in: `admin`
// (system:masters) and `viewer`, bound to the `view` ClusterRole (reads, no writes).
import * as path from 'node:path';
import { buildConsole } from '../../console';
import { startControllers } from '../../controllers';
import { startHollowNodes, type HollowNodes } from '../../node-agent';
import { startScheduler } from '../../scheduler';
import type { ApiServerOptions } from '../../apiserver';
import { bindClusterRole, startSecuredApiServer, type SecuredApiServer } from './identities';

export interface ConsoleCluster {
  api: SecuredApiServer;
  nodes: HollowNodes;
  /** A system:masters token. */
  adminToken: string;
  /** A token whose user has only the `view` ClusterRole. */
  viewerToken: string;
  stop(): Promise<void>;
}

const FIXTURES = path.join(__dirname, '..', 'apiserver', 'fixtures');

let built: Promise<unknown> | undefined;

/** Bundles the console once per process, so a test never serves a stale or missing bundle. */
export function ensureConsoleBuilt(): Promise<unknown> {
  built ??= buildConsole();
  return built;
}

export async function startConsoleCluster(o: { nodes?: number; maxPods?: number; apiOptions?: Partial<ApiServerOptions> } = {}): Promise<ConsoleCluster> {
  await ensureConsoleBuilt();
  const adminToken = 'console-admin-token';
  const viewerToken = 'console-viewer-token';
  const api = await startSecuredApiServer(
    { [adminToken]: { user: 'admin', groups: ['system:masters'] }, [viewerToken]: { user: 'viewer' } },
    { console: true, anonymousAuth: false, tlsCertFile: path.join(FIXTURES, 'tls.crt'), tlsKeyFile: path.join(FIXTURES, 'tls.key'), ...o.apiOptions },
  );
  await bindClusterRole(api.client, 'viewer', 'view');
  // The components act as the administrator here (their own identities are steer up's business).
  const log = () => undefined;
  const nodes = await startHollowNodes({ client: api.client, count: o.nodes ?? 3, namePrefix: 'hollow-', maxPods: o.maxPods, leaseRenewIntervalMs: 2000, log });
  const scheduler = await startScheduler({ client: api.client });
  const controllers = await startControllers({ client: api.client, log, leaderElect: false });
  return {
    api,
    nodes,
    adminToken,
    viewerToken,
    async stop() {
      await controllers.stop();
      await scheduler.stop();
      await nodes.stop();
      await api.stop();
    },
  };
}
