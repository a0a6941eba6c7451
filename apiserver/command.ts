// `steer apiserver`: runs the API server until SIGINT/SIGTERM. Also the storage flags `steer server`
// shares (--storage, --etcd-*), and `steer storage migrate`.
import { Command, InvalidArgumentError } from 'commander';
import { durationOption } from '../lib/component/flags';
import { startApiServer } from './server';
import { STORAGE_KINDS, StorageKind, StorageOptions } from './storage/open';

/** What storageFlags' flags parse to. */
export interface StorageFlags {
  storage?: StorageKind;
  etcdServers?: string[];
  etcdPrefix: string;
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
  etcdCompactionInterval: number;
}

const storageKindOption = (v: string): StorageKind => {
  if (!STORAGE_KINDS.includes(v as StorageKind)) throw new InvalidArgumentError(`must be one of ${STORAGE_KINDS.join(', ')}`);
  return v as StorageKind;
};

const urlListOption = (v: string): string[] => {
  const urls = v.split(',').map((u) => u.trim()).filter(Boolean);
  for (const u of urls) if (!/^https?:\/\/[^/]+\/?$/.test(u)) throw new InvalidArgumentError(`${JSON.stringify(u)} is not http(s)://host:port`);
  if (!urls.length) throw new InvalidArgumentError('no URL given');
  return urls;
};

/** The storage flags of `steer apiserver` and `steer server` (kube-apiserver's names for the etcd ones). */
export function storageFlags(cmd: Command): Command {
  return etcdFlags(cmd.option('--storage <kind>', `where objects are kept: ${STORAGE_KINDS.join(', ')} (default leveldb with a data dir, else memory)`, storageKindOption));
}

/** How to reach etcd: members, key prefix, TLS, compaction. */
export function etcdFlags(cmd: Command): Command {
  return cmd
    .option('--etcd-servers <urls>', 'etcd members, http(s)://host:port,… (with --storage etcd)', urlListOption)
    .option('--etcd-prefix <prefix>', 'key prefix of every object in etcd', '/registry')
    .option('--etcd-cafile <file>', 'CA bundle that signed the etcd members\' certificates')
    .option('--etcd-certfile <file>', 'client certificate for etcd')
    .option('--etcd-keyfile <file>', 'private key of --etcd-certfile')
    .option('--etcd-compaction-interval <duration>', 'how often this apiserver compacts etcd (0: never)', durationOption('ms'), 5 * 60_000);
}

/** The storage options parsed storage flags stand for. */
export function storageOptions(o: StorageFlags): StorageOptions {
  const storage = o.storage ?? (o.etcdServers ? 'etcd' : undefined);
  if (storage === 'etcd' && !o.etcdServers) throw new Error('--storage etcd needs --etcd-servers');
  return {
    storage,
    etcdServers: o.etcdServers,
    etcdPrefix: o.etcdPrefix,
    etcdCAFile: o.etcdCafile,
    etcdCertFile: o.etcdCertfile,
    etcdKeyFile: o.etcdKeyfile,
    etcdCompactionIntervalMs: o.etcdCompactionInterval,
  };
}

function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen must be HOST:PORT, got ${JSON.stringify(listen)}`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`--listen: bad port ${m[3]}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function register(program: Command): void {
  storageFlags(
    program
      .command('apiserver')
      .description('run the Kubernetes-compatible API server'),
  )
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:6443')
    .option('--data-dir <dir>', 'LevelDB data directory (omit for in-memory storage)')
    .option('--tls-cert-file <file>', 'serve HTTPS with this certificate')
    .option('--tls-private-key-file <file>', 'private key for --tls-cert-file')
    .option('--token-auth-file <file>', 'CSV of token,user,uid[,groups]; requests need a listed bearer token')
    .option('--service-cluster-ip-range <cidr>', 'ClusterIP range for Services', '10.96.0.0/12')
    .option('--service-node-port-range <range>', 'NodePort range', '30000-32767')
    .option('--max-body-bytes <n>', 'largest request body accepted (413 above)', String(3 * 1024 * 1024))
    .option('--watch-history <n>', 'changes kept for watches and list paging', '10000')
    .option('--fsync', 'fsync every write batch (durable across power loss, slower)')
    .option('-v, --verbose', 'log every request')
    .action(async (o: Record<string, string | boolean | undefined> & StorageFlags) => {
      const { host, port } = parseListen(String(o.listen));
      const storage = storageOptions(o);
      if (!!o.tlsCertFile !== !!o.tlsPrivateKeyFile) throw new Error('--tls-cert-file and --tls-private-key-file go together');
      const server = await startApiServer({
        ...storage,
        host,
        port,
        dataDir: o.dataDir as string | undefined,
        tlsCertFile: o.tlsCertFile as string | undefined,
        tlsKeyFile: o.tlsPrivateKeyFile as string | undefined,
        tokenFile: o.tokenAuthFile as string | undefined,
        serviceClusterIPRange: o.serviceClusterIpRange as string,
        nodePortRange: o.serviceNodePortRange as string,
        maxBodyBytes: Number(o.maxBodyBytes),
        watchHistorySize: Number(o.watchHistory),
        fsync: !!o.fsync,
        verbose: !!o.verbose,
      });
      const where = storage.storage === 'etcd' ? `etcd ${storage.etcdServers?.join(',')}` : o.dataDir ? `data in ${String(o.dataDir)}` : 'in-memory';
      process.stderr.write(`steer apiserver: serving on ${server.url} (${where})\n`);
      const shutdown = () => {
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
}
