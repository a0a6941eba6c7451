// Registers `steer up`, `steer down`, `steer server` (the all-in-one process `up` starts), `steer certs`
// (a cluster's PKI and kubeconfigs for clusters `up` does not start: docker-compose), `steer etcd
// start|stop|status` (etcd members under the state dir) and `steer storage migrate`.
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { etcdFlags, StorageFlags, storageFlags, storageOptions } from '../../apiserver';
import { writeFileAtomic } from '../../lib/component/pki';
import { adminKubeconfig, ensureClusterPki, writeComponentKubeconfigs, type ClusterNode } from './pki';
import { action } from '../errors';
import { processStreams } from '../io';
import { down } from './down';
import { etcdStatus, startEtcd, stopEtcd } from './etcd';
import { migrate, MigrateFlags } from './migrate';
import { ClusterOptions, defaultNodeName, runServer } from './server';
import { clusterPaths, defaultStateDir } from './state';
import { splitHostPort, up, upSummary } from './up';
import { portOption } from '../../lib/component/flags';

const portListOption = (v: string): number[] =>
  v.split(',').map((p) => {
    const n = Number(p.trim());
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`${JSON.stringify(p)} is not a port`);
    return n;
  });

const stateDirHelp = `state directory (default $STEER_STATE_DIR or ${defaultStateDir})`;

/** The options `up` and the `server` it starts share: where the cluster lives and what it listens on. */
function withClusterOptions(cmd: Command): Command {
  return cmd
    .option('--state-dir <dir>', stateDirHelp)
    .option('--listen <host:port>', 'apiserver address', '127.0.0.1:6443')
    .option('--node-name <name>', 'name of the node', defaultNodeName())
    .option('--agent-port <port>', 'node agent port (/stats/summary, /metrics, logs)', portOption, 10250)
    .option('--scheduler-metrics-port <port>', 'scheduler /metrics port', portOption, 10251)
    .option('--controllers-metrics-port <port>', 'controllers /metrics port', portOption, 10252)
    .option('--pod-subnet <cidr>', 'pod IP range (default 10.88.0.0/16)')
    .option('--service-cidr <cidr>', 'Service ClusterIP range (default 10.96.0.0/12; two clusters on one machine need different ones)')
    .option('--bridge <name>', 'pod network bridge (default steer0)')
    .option('--cluster-dns <ip>', "cluster DNS address for ClusterFirst pods, answered by the node agent (default: the Service range's 10th address, 10.96.0.10)")
    .option('--cluster-domain <domain>', 'cluster DNS domain (default cluster.local)');
}

/** What withClusterOptions' flags parse to. */
type ClusterFlags = ClusterOptions & { listen: string };

/** The ClusterOptions among a command's parsed flags. */
function clusterOptions(o: ClusterFlags): ClusterOptions {
  const { stateDir, nodeName, agentPort, schedulerMetricsPort, controllersMetricsPort, podSubnet, serviceCidr, bridge, clusterDns, clusterDomain } = o;
  return { stateDir, nodeName, agentPort, schedulerMetricsPort, controllersMetricsPort, podSubnet, serviceCidr, bridge, clusterDns, clusterDomain };
}

export function register(program: Command): void {
  withClusterOptions(
    program
      .command('up')
      .description('start a single-node steer cluster (installs what is missing; needs root) and run nginx on it'),
  )
    .option('--no-install-deps', 'do not run scripts/install-deps.sh for missing packages')
    .option('-f, --filename <manifest>', 'manifest to apply once up (default manifests/nginx.yaml)')
    .option('--no-apply', 'apply no manifest')
    .option('--timeout <seconds>', 'how long each wait may take', '180')
    .option('--etcd', 'keep the objects in one etcd member under the state dir instead of LevelDB (kept on later runs)')
    .option('--etcd-client-port <port>', 'client port of that member', portOption, 2379)
    .option('--etcd-peer-port <port>', 'peer port of that member', portOption, 2380)
    .action(
      action(async (o: ClusterFlags & { installDeps: boolean; filename?: string; apply: boolean; timeout: string; etcd?: boolean; etcdClientPort: number; etcdPeerPort: number }) => {
        const t0 = Date.now();
        const result = await up(
          {
            ...clusterOptions(o),
            listen: o.listen,
            installDeps: o.installDeps,
            manifest: o.apply ? o.filename : false,
            timeoutMs: Number(o.timeout) * 1000,
            writeUserKubeconfig: true,
            etcd: !!o.etcd,
            etcdPorts: { client: o.etcdClientPort, peer: o.etcdPeerPort },
          },
          processStreams,
        );
        processStreams.out(upSummary(result));
        processStreams.err(`(up took ${((Date.now() - t0) / 1000).toFixed(1)}s)\n`);
      }),
    );

  program
    .command('down')
    .description('stop the cluster `steer up` started and remove its pods (--purge: and its data)')
    .option('--state-dir <dir>', stateDirHelp)
    .option('--purge', 'also delete the state directory (cluster data, images cache, logs)')
    .action(
      action(async (o: { stateDir?: string; purge?: boolean }) => {
        await down({ stateDir: o.stateDir, purge: !!o.purge }, processStreams);
      }),
    );

  storageFlags(
    withClusterOptions(
      program
        .command('server')
        .description('run apiserver, scheduler, controllers and a node agent in this one process (what `steer up` starts)'),
    ),
  ).action(async (o: ClusterFlags & StorageFlags) => {
    const [host, port] = splitHostPort(o.listen);
    await runServer({ ...clusterOptions(o), host, port, storage: storageOptions(o) });
  });

  program
    .command('certs')
    .description("create (or complete) a cluster's CA, certificates, keys, tokens and kubeconfigs in a directory")
    .requiredOption('--dir <dir>', 'where to keep them (reused on later runs)')
    .requiredOption('--server <urls>', 'the apiserver URL the kubeconfigs name, e.g. https://172.28.0.10:6443; several comma-separated for an HA control plane (clients fail over between them)')
    .option('--apiserver-san <name>', "another name or address for the apiserver's certificate (repeatable; the --server host is included)", collect, [])
    .option('--control-plane-san <name>', "a name or address of the scheduler's and controller manager's metrics ports (repeatable)", collect, [])
    .option('--node <name=addr,...>', "a node: its client identity and its agent's serving certificate for these addresses (repeatable)", collectNode, [])
    .option('--service-cidr <cidr>', 'the Service range (its first address is in the apiserver certificate)', '10.96.0.0/12')
    .option('--admin-kubeconfig <file>', 'where the admin kubeconfig goes (default <dir>/admin.kubeconfig)')
    .action(
      action(async (o: { dir: string; server: string; apiserverSan: string[]; controlPlaneSan: string[]; node: ClusterNode[]; serviceCidr: string; adminKubeconfig?: string }) => {
        // Several apiservers (--server https://a:6443,https://b:6443): each one's host is in the certificate.
        const hosts = o.server.split(',').map((u) => new URL(u.trim()).hostname.replace(/^\[|\]$/g, ''));
        const pki = await ensureClusterPki({
          dir: o.dir,
          apiserverNames: [...hosts, ...o.apiserverSan],
          serviceCIDR: o.serviceCidr,
          nodes: o.node,
          controlPlaneNames: o.controlPlaneSan.length ? ['localhost', '127.0.0.1', ...o.controlPlaneSan] : undefined,
        });
        writeComponentKubeconfigs(pki, o.server, o.node);
        const admin = path.resolve(o.adminKubeconfig ?? path.join(pki.dir, 'admin.kubeconfig'));
        writeFileAtomic(admin, adminKubeconfig(pki, o.server), 0o600);
        processStreams.out(`certificates, keys and kubeconfigs in ${pki.dir}; admin kubeconfig ${admin}\n`);
      }),
    );

  const etcd = program.command('etcd').description("run etcd members (Debian's etcd-server) under the state dir, without systemd");
  etcd
    .command('start')
    .description('start 1 or 3 members on this machine (those already running are left alone) and wait until they are healthy')
    .option('--state-dir <dir>', stateDirHelp)
    .option('--members <n>', '1 or 3', '1')
    .option('--host <host>', 'address the members listen on', '127.0.0.1')
    .option('--client-ports <ports>', 'client port of each member (default 2379,22379,32379)', portListOption)
    .option('--peer-ports <ports>', 'peer port of each member (default 2380,22380,32380)', portListOption)
    .action(
      action(async (o: { stateDir?: string; members: string; host: string; clientPorts?: number[]; peerPorts?: number[] }) => {
        const members = Number(o.members);
        if (members !== 1 && members !== 3) throw new Error('--members must be 1 or 3');
        const client = o.clientPorts ?? [2379, 22379, 32379];
        const peer = o.peerPorts ?? [2380, 22380, 32380];
        if (client.length < members || peer.length < members) throw new Error(`${members} members need ${members} client and peer ports`);
        const dir = clusterPaths(o.stateDir).etcd;
        const cluster = await startEtcd({ dir, members, host: o.host, ports: client.slice(0, members).map((c, i) => ({ client: c, peer: peer[i] })) });
        for (const m of cluster.members) processStreams.out(`${m.name} ${m.clientUrl} PID ${String(m.pid)} data ${m.dataDir} log ${m.log}\n`);
        processStreams.out(`healthy; use --etcd-servers ${cluster.endpoints.join(',')}\n`);
      }),
    );
  etcd
    .command('stop')
    .description('stop the members under the state dir (by PID)')
    .option('--state-dir <dir>', stateDirHelp)
    .action(
      action(async (o: { stateDir?: string }) => {
        const stopped = await stopEtcd(clusterPaths(o.stateDir).etcd);
        processStreams.out(stopped.length ? `stopped ${stopped.join(', ')}\n` : 'no etcd member was running\n');
      }),
    );
  etcd
    .command('status')
    .description("each member's PID and health (exit code 1 when one is down or unhealthy)")
    .option('--state-dir <dir>', stateDirHelp)
    .action(
      action(async (o: { stateDir?: string }) => {
        const status = await etcdStatus(clusterPaths(o.stateDir).etcd);
        if (!status.length) {
          processStreams.out('no etcd member under this state dir\n');
          process.exitCode = 1;
          return;
        }
        for (const m of status) processStreams.out(`${m.name} ${m.clientUrl} ${m.running ? `PID ${String(m.pid)}` : 'not running'} ${m.healthy ? 'healthy' : 'unhealthy'}\n`);
        if (status.some((m) => !m.healthy)) process.exitCode = 1;
      }),
    );

  etcdFlags(
    program
      .command('storage')
      .description('storage tools')
      .command('migrate')
      .description('copy every object from LevelDB into etcd, or from etcd into LevelDB (the cluster must be down; the target empty)')
      .requiredOption('--to <storage>', 'etcd or leveldb: where the objects go (they come from the other)')
      .option('--state-dir <dir>', `${stateDirHelp}: its apiserver/ LevelDB, and its etcd member when --etcd-servers is not given`)
      .option('--data-dir <dir>', 'the LevelDB directory (default <state-dir>/apiserver)'),
  ).action(
    action(async (o: MigrateFlags) => {
      await migrate(o, processStreams);
    }),
  );
}

function collect(v: string, acc: string[]): string[] {
  return [...acc, ...v.split(',').map((x) => x.trim()).filter(Boolean)];
}

/** "node-1=172.28.0.21,node-1.local" → a node and its addresses. */
function collectNode(v: string, acc: ClusterNode[]): ClusterNode[] {
  const [name, addrs = ''] = v.split('=');
  if (!name || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) throw new InvalidArgumentError(`--node wants NAME=ADDRESS[,ADDRESS...], got ${JSON.stringify(v)}`);
  return [...acc, { name, addresses: addrs.split(',').map((x) => x.trim()).filter(Boolean) }];
}
