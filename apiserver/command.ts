// `steer apiserver`: runs the API server until SIGINT/SIGTERM. Secure by default, as kube-apiserver:
// HTTPS (with a self-signed certificate made in --cert-dir when no --tls-cert-file is given), client
// certificates (--client-ca-file) and bearer tokens (--token-auth-file) authenticate, anonymous requests
// only while --anonymous-auth is on; plain HTTP only with --insecure-serving. Also the storage flags
// `steer server` shares (--storage, --etcd-*).
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { boolOption, durationOption, intOption } from '../lib/component/flags';
import { builtinAdmissionPluginNames } from './admission';
import { authorizationModes, parseAuthorizationModes } from './auth/authorization';
import { apiserverCertNames, ensureSelfSignedServingCert } from '../lib/component/pki';
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

const count = (flag: string) => intOption(0, Number.MAX_SAFE_INTEGER, flag);
const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];
const list = (v: string): string[] => v.split(',').map((x) => x.trim()).filter(Boolean);

/** kube-apiserver's default --enable-admission-plugins, as far as steer has them. */
export const defaultAdmissionPlugins: string[] = [...builtinAdmissionPluginNames];

function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen must be HOST:PORT, got ${JSON.stringify(listen)}`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`--listen: bad port ${m[3]}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

interface ApiserverFlags {
  listen: string;
  dataDir?: string;
  insecureServing?: boolean;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  certDir: string;
  advertiseAddress?: string;
  endpointReconcilerInterval: number;
  endpointReconcilerTtl: number;
  clientCaFile?: string;
  tokenAuthFile?: string;
  anonymousAuth: boolean;
  kubeletClientCertificate?: string;
  kubeletClientKey?: string;
  kubeletCertificateAuthority?: string;
  authorizationMode?: string;
  auditPolicyFile?: string;
  auditLogPath?: string;
  auditLogMaxsize: number;
  auditLogMaxbackup: number;
  auditLogMaxage: number;
  serviceAccountSigningKeyFile?: string;
  serviceAccountKeyFile?: string[];
  serviceAccountIssuer?: string[];
  apiAudiences?: string[];
  serviceAccountMaxTokenExpiration?: number;
  serviceAccountExtendTokenExpiration: boolean;
  enableAdmissionPlugins: string[];
  disableAdmissionPlugins: string[];
  encryptionProviderConfig?: string;
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
  maxBodyBytes: string;
  watchHistory: string;
  eventTtl: number;
  fsync?: boolean;
  console?: boolean;
  verbose?: boolean;
}

export function register(program: Command): void {
  storageFlags(
    program
      .command('apiserver')
      .description('run the Kubernetes-compatible API server'),
  )
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:6443')
    .option('--data-dir <dir>', 'LevelDB data directory (omit for in-memory storage)')
    .option('--insecure-serving', 'serve plain HTTP (no TLS, no client certificates): only for tests and local experiments')
    .option('--tls-cert-file <file>', 'serving certificate (PEM); default: a self-signed one in --cert-dir')
    .option('--tls-private-key-file <file>', 'private key for --tls-cert-file')
    .option('--cert-dir <dir>', 'where the self-signed serving certificate is kept when --tls-cert-file is not given', '/var/run/kubernetes')
    .option('--advertise-address <ip>', 'address pods reach the apiserver at, in the default/kubernetes Endpoints (default: the listen host, or the first non-loopback IPv4); also in the self-signed certificate')
    .option('--endpoint-reconciler-interval <d>', "how often this apiserver renews its kube-system Lease and rewrites the default/kubernetes Endpoints from the live apiservers' Leases", durationOption('ms'), 10_000)
    .option('--endpoint-reconciler-ttl <d>', 'how long an apiserver stays in the default/kubernetes Endpoints without renewing its Lease', durationOption('s'), 15)
    .option('--client-ca-file <file>', 'client certificates signed by this CA authenticate: CN is the user, O the groups')
    .option('--token-auth-file <file>', 'CSV of token,user,uid[,"group1,group2"]: bearer tokens that authenticate')
    .option('--anonymous-auth [bool]', 'requests without credentials run as system:anonymous (else 401)', boolOption, true)
    .option('--kubelet-client-certificate <file>', 'client certificate the apiserver shows node agents (pods/log)')
    .option('--kubelet-client-key <file>', 'key of --kubelet-client-certificate')
    .option('--kubelet-certificate-authority <file>', "CA that signed the node agents' serving certificates (unverified without it)")
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
    .option('--event-ttl <d>', 'Events are deleted this long after their last write (e.g. 1h, 30m; 0: never)', durationOption('s'), 3600)
    .option('--fsync', 'fsync every write batch (durable across power loss, slower)')
    .option('--service-account-signing-key-file <file>', 'PEM private key (RSA or EC P-256) that signs service-account tokens (default: a key generated at start)')
    .option('--service-account-key-file <file>', 'PEM public keys, private keys or certificates that verify service-account tokens (repeatable)', collect)
    .option('--service-account-issuer <url>', 'issuer of service-account tokens; the first issues, all are accepted (repeatable; default https://kubernetes.default.svc.cluster.local)', collect)
    .option('--api-audiences <list>', 'comma-separated audiences the API accepts in service-account tokens (default: the issuer)', list)
    .option('--service-account-max-token-expiration <d>', 'longest token a TokenRequest gets (e.g. 48h; default none)', durationOption('s'))
    .option('--no-service-account-extend-token-expiration', "do not extend the kubelet's 3607 s pod tokens to a year")
    .option('--enable-admission-plugins <list>', `admission plugins to run (steer has ${builtinAdmissionPluginNames.join(', ')})`, list, defaultAdmissionPlugins)
    .option('--disable-admission-plugins <list>', 'admission plugins not to run', list, [])
    .option('--encryption-provider-config <file>', 'EncryptionConfiguration (apiserver.config.k8s.io/v1) for encrypting resources such as Secrets at rest (with --data-dir or --storage etcd)')
    .option('--console', 'serve the web console at /ui/')
    .option('-v, --verbose', 'log every request')
    .action(async (o: ApiserverFlags & StorageFlags) => {
      const { host, port } = parseListen(String(o.listen));
      const storage = storageOptions(o);
      if (!!o.tlsCertFile !== !!o.tlsPrivateKeyFile) throw new Error('--tls-cert-file and --tls-private-key-file go together');
      if (!!o.kubeletClientCertificate !== !!o.kubeletClientKey) throw new Error('--kubelet-client-certificate and --kubelet-client-key go together');
      if (o.insecureServing && (o.tlsCertFile || o.clientCaFile)) throw new Error('--insecure-serving cannot be used with --tls-cert-file or --client-ca-file');
      if (o.auditLogPath && !o.auditPolicyFile) throw new Error('--audit-log-path needs --audit-policy-file');
      // Secure once the server can tell its clients apart (token file or client certificates).
      const authenticates = !!o.tokenAuthFile || !!o.clientCaFile;
      const authorizationMode = parseAuthorizationModes(String(o.authorizationMode ?? (authenticates ? 'Node,RBAC' : 'AlwaysAllow')));
      let tlsCertFile = o.tlsCertFile;
      let tlsKeyFile = o.tlsPrivateKeyFile;
      if (!o.insecureServing && !tlsCertFile) {
        const names = apiserverCertNames({ serviceCIDR: o.serviceClusterIpRange, addresses: [host, ...(o.advertiseAddress ? [o.advertiseAddress] : [])] });
        const made = await ensureSelfSignedServingCert(path.resolve(o.certDir), 'apiserver', { commonName: o.advertiseAddress || host, ...names });
        tlsCertFile = made.certFile;
        tlsKeyFile = made.keyFile;
      }
      const server = await startApiServer({
        ...storage,
        host,
        port,
        dataDir: o.dataDir,
        tlsCertFile,
        tlsKeyFile,
        clientCAFile: o.clientCaFile,
        tokenFile: o.tokenAuthFile,
        anonymousAuth: o.anonymousAuth,
        authorizationMode,
        audit: o.auditPolicyFile
          ? { policyFile: o.auditPolicyFile, logPath: o.auditLogPath, logMaxSizeMB: o.auditLogMaxsize, logMaxBackups: o.auditLogMaxbackup, logMaxAgeDays: o.auditLogMaxage }
          : undefined,
        // Node agents serve HTTPS whenever the apiserver does (kube-apiserver always dials kubelets over TLS).
        kubeletClient: {
          https: !o.insecureServing,
          certFile: o.kubeletClientCertificate,
          keyFile: o.kubeletClientKey,
          caFile: o.kubeletCertificateAuthority,
        },
        serviceClusterIPRange: o.serviceClusterIpRange,
        nodePortRange: o.serviceNodePortRange,
        maxBodyBytes: Number(o.maxBodyBytes),
        watchHistorySize: Number(o.watchHistory),
        eventTTLSeconds: o.eventTtl,
        fsync: !!o.fsync,
        verbose: !!o.verbose,
        serviceAccountSigningKeyFile: o.serviceAccountSigningKeyFile,
        serviceAccountKeyFiles: o.serviceAccountKeyFile,
        serviceAccountIssuer: o.serviceAccountIssuer,
        apiAudiences: o.apiAudiences,
        serviceAccountMaxTokenExpiration: o.serviceAccountMaxTokenExpiration,
        serviceAccountExtendTokenExpiration: o.serviceAccountExtendTokenExpiration !== false,
        enableAdmissionPlugins: o.enableAdmissionPlugins.filter((p) => !o.disableAdmissionPlugins.includes(p)),
        advertiseAddress: o.advertiseAddress,
        endpointReconciler: { intervalMs: o.endpointReconcilerInterval, ttlSeconds: o.endpointReconcilerTtl },
        encryptionProviderConfig: o.encryptionProviderConfig,
        console: !!o.console,
      });
      const where = storage.storage === 'etcd' ? `etcd ${storage.etcdServers?.join(',')}` : o.dataDir ? `data in ${String(o.dataDir)}` : 'in-memory';
      process.stderr.write(`steer apiserver: serving on ${server.url} (${where}), authorization ${authorizationMode.join(',')}\n`);
      if (o.console) process.stderr.write(`steer apiserver: web console at ${server.url}/ui/\n`);
      const shutdown = () => {
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
}
