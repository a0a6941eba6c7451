// `steer apiserver`: runs the API server until SIGINT/SIGTERM.
import { Command } from 'commander';
import { startApiServer } from './server';

function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen must be HOST:PORT, got ${JSON.stringify(listen)}`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`--listen: bad port ${m[3]}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function register(program: Command): void {
  program
    .command('apiserver')
    .description('run the Kubernetes-compatible API server')
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
    .option('--console', 'serve the web console at /ui/')
    .option('-v, --verbose', 'log every request')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const { host, port } = parseListen(String(o.listen));
      if (!!o.tlsCertFile !== !!o.tlsPrivateKeyFile) throw new Error('--tls-cert-file and --tls-private-key-file go together');
      const server = await startApiServer({
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
        console: !!o.console,
      });
      process.stderr.write(`steer apiserver: serving on ${server.url}${o.dataDir ? ` (data in ${String(o.dataDir)})` : ' (in-memory)'}\n`);
      if (o.console) process.stderr.write(`steer apiserver: web console at ${server.url}/ui/\n`);
      const shutdown = () => {
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
}
