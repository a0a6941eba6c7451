// `steer apiserver`: runs the API server until SIGINT/SIGTERM.
import { Command } from 'commander';
import { durationOption, intOption } from '../lib/component/flags';
import { builtinAdmissionPluginNames } from './admission';
import { authorizationModes, parseAuthorizationModes } from './auth/authorization';
import { startApiServer } from './server';

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];
const list = (v: string): string[] => v.split(',').map((x) => x.trim()).filter(Boolean);
const count = (flag: string) => intOption(0, Number.MAX_SAFE_INTEGER, flag);

/** kube-apiserver's default --enable-admission-plugins, as far as steer has them. */
export const defaultAdmissionPlugins: string[] = [...builtinAdmissionPluginNames];

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
    .option(
      '--authorization-mode <modes>',
      `ordered list of authorizers (${authorizationModes.join(', ')}), after system:masters; default Node,RBAC when the server authenticates its clients, else AlwaysAllow`,
    )
    .option('--audit-policy-file <file>', 'audit.k8s.io/v1 Policy: which requests are audited, at which level')
    .option('--audit-log-path <file>', "write audit events to this file ('-' for stdout); needs --audit-policy-file")
    .option('--audit-log-maxsize <MB>', 'rotate the audit log at this size in megabytes (0: 100)', count('--audit-log-maxsize'), 0)
    .option('--audit-log-maxbackup <n>', 'rotated audit logs kept (0: all)', count('--audit-log-maxbackup'), 0)
    .option('--audit-log-maxage <days>', 'days rotated audit logs are kept (0: no limit)', count('--audit-log-maxage'), 0)
    .option('--service-cluster-ip-range <cidr>', 'ClusterIP range for Services', '10.96.0.0/12')
    .option('--service-node-port-range <range>', 'NodePort range', '30000-32767')
    .option('--max-body-bytes <n>', 'largest request body accepted (413 above)', String(3 * 1024 * 1024))
    .option('--watch-history <n>', 'changes kept for watches and list paging', '10000')
    .option('--fsync', 'fsync every write batch (durable across power loss, slower)')
    .option('--service-account-signing-key-file <file>', 'PEM private key (RSA or EC P-256) that signs service-account tokens (default: a key generated at start)')
    .option('--service-account-key-file <file>', 'PEM public keys, private keys or certificates that verify service-account tokens (repeatable)', collect)
    .option('--service-account-issuer <url>', 'issuer of service-account tokens; the first issues, all are accepted (repeatable; default https://kubernetes.default.svc.cluster.local)', collect)
    .option('--api-audiences <list>', 'comma-separated audiences the API accepts in service-account tokens (default: the issuer)', list)
    .option('--service-account-max-token-expiration <d>', 'longest token a TokenRequest gets (e.g. 48h; default none)', durationOption('s'))
    .option('--no-service-account-extend-token-expiration', "do not extend the kubelet's 3607 s pod tokens to a year")
    .option('--enable-admission-plugins <list>', `admission plugins to run (steer has ${builtinAdmissionPluginNames.join(', ')})`, list, defaultAdmissionPlugins)
    .option('--disable-admission-plugins <list>', 'admission plugins not to run', list, [])
    .option('--advertise-address <ip>', 'address pods reach the apiserver at, in the default/kubernetes Endpoints (default: the listen host, or the first non-loopback IPv4)')
    .option('--encryption-provider-config <file>', 'EncryptionConfiguration (apiserver.config.k8s.io/v1) for encrypting resources such as Secrets at rest (with --data-dir)')
    .option('-v, --verbose', 'log every request')
    .action(async (o: Record<string, string | boolean | string[] | number | undefined>) => {
      const { host, port } = parseListen(String(o.listen));
      if (!!o.tlsCertFile !== !!o.tlsPrivateKeyFile) throw new Error('--tls-cert-file and --tls-private-key-file go together');
      if (o.auditLogPath && !o.auditPolicyFile) throw new Error('--audit-log-path needs --audit-policy-file');
      // Secure once the server can tell its clients apart (token file or client certificates).
      const authenticates = !!o.tokenAuthFile || !!o.clientCaFile;
      const authorizationMode = parseAuthorizationModes(String(o.authorizationMode ?? (authenticates ? 'Node,RBAC' : 'AlwaysAllow')));
      const server = await startApiServer({
        host,
        port,
        dataDir: o.dataDir as string | undefined,
        tlsCertFile: o.tlsCertFile as string | undefined,
        tlsKeyFile: o.tlsPrivateKeyFile as string | undefined,
        tokenFile: o.tokenAuthFile as string | undefined,
        authorizationMode,
        audit: o.auditPolicyFile
          ? {
              policyFile: String(o.auditPolicyFile),
              logPath: o.auditLogPath as string | undefined,
              logMaxSizeMB: o.auditLogMaxsize as number,
              logMaxBackups: o.auditLogMaxbackup as number,
              logMaxAgeDays: o.auditLogMaxage as number,
            }
          : undefined,
        serviceClusterIPRange: o.serviceClusterIpRange as string,
        nodePortRange: o.serviceNodePortRange as string,
        maxBodyBytes: Number(o.maxBodyBytes),
        watchHistorySize: Number(o.watchHistory),
        fsync: !!o.fsync,
        verbose: !!o.verbose,
        serviceAccountSigningKeyFile: o.serviceAccountSigningKeyFile as string | undefined,
        serviceAccountKeyFiles: o.serviceAccountKeyFile as string[] | undefined,
        serviceAccountIssuer: o.serviceAccountIssuer as string[] | undefined,
        apiAudiences: o.apiAudiences as string[] | undefined,
        serviceAccountMaxTokenExpiration: o.serviceAccountMaxTokenExpiration as number | undefined,
        serviceAccountExtendTokenExpiration: o.serviceAccountExtendTokenExpiration !== false,
        enableAdmissionPlugins: (o.enableAdmissionPlugins as string[]).filter((p) => !(o.disableAdmissionPlugins as string[]).includes(p)),
        advertiseAddress: o.advertiseAddress as string | undefined,
        encryptionProviderConfig: o.encryptionProviderConfig as string | undefined,
      });
      process.stderr.write(`steer apiserver: serving on ${server.url}${o.dataDir ? ` (data in ${String(o.dataDir)})` : ' (in-memory)'}, authorization ${authorizationMode.join(',')}\n`);
      const shutdown = () => {
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
}
