// `steer apiserver`: runs the API server until SIGINT/SIGTERM. Secure by default, as kube-apiserver:
// HTTPS (with a self-signed certificate made in --cert-dir when no --tls-cert-file is given), client
// certificates (--client-ca-file) and bearer tokens (--token-auth-file) authenticate, anonymous requests
// only while --anonymous-auth is on; plain HTTP only with --insecure-serving.
import * as path from 'node:path';
import { Command } from 'commander';
import { boolOption } from '../lib/component/flags';
import { apiserverCertNames, ensureSelfSignedServingCert } from '../lib/component/pki';
import { startApiServer } from './server';

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
  clientCaFile?: string;
  tokenAuthFile?: string;
  anonymousAuth: boolean;
  kubeletClientCertificate?: string;
  kubeletClientKey?: string;
  kubeletCertificateAuthority?: string;
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
  maxBodyBytes: string;
  watchHistory: string;
  fsync?: boolean;
  verbose?: boolean;
}

export function register(program: Command): void {
  program
    .command('apiserver')
    .description('run the Kubernetes-compatible API server')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:6443')
    .option('--data-dir <dir>', 'LevelDB data directory (omit for in-memory storage)')
    .option('--insecure-serving', 'serve plain HTTP (no TLS, no client certificates): only for tests and local experiments')
    .option('--tls-cert-file <file>', 'serving certificate (PEM); default: a self-signed one in --cert-dir')
    .option('--tls-private-key-file <file>', 'private key for --tls-cert-file')
    .option('--cert-dir <dir>', 'where the self-signed serving certificate is kept when --tls-cert-file is not given', '/var/run/kubernetes')
    .option('--advertise-address <ip>', 'the address clients are told to use (also put in the self-signed certificate)')
    .option('--client-ca-file <file>', 'client certificates signed by this CA authenticate: CN is the user, O the groups')
    .option('--token-auth-file <file>', 'CSV of token,user,uid[,"group1,group2"]: bearer tokens that authenticate')
    .option('--anonymous-auth [bool]', 'requests without credentials run as system:anonymous (else 401)', boolOption, true)
    .option('--kubelet-client-certificate <file>', 'client certificate the apiserver shows node agents (pods/log)')
    .option('--kubelet-client-key <file>', 'key of --kubelet-client-certificate')
    .option('--kubelet-certificate-authority <file>', "CA that signed the node agents' serving certificates (unverified without it)")
    .option('--service-cluster-ip-range <cidr>', 'ClusterIP range for Services', '10.96.0.0/12')
    .option('--service-node-port-range <range>', 'NodePort range', '30000-32767')
    .option('--max-body-bytes <n>', 'largest request body accepted (413 above)', String(3 * 1024 * 1024))
    .option('--watch-history <n>', 'changes kept for watches and list paging', '10000')
    .option('--fsync', 'fsync every write batch (durable across power loss, slower)')
    .option('-v, --verbose', 'log every request')
    .action(async (o: ApiserverFlags) => {
      const { host, port } = parseListen(String(o.listen));
      if (!!o.tlsCertFile !== !!o.tlsPrivateKeyFile) throw new Error('--tls-cert-file and --tls-private-key-file go together');
      if (!!o.kubeletClientCertificate !== !!o.kubeletClientKey) throw new Error('--kubelet-client-certificate and --kubelet-client-key go together');
      if (o.insecureServing && (o.tlsCertFile || o.clientCaFile)) throw new Error('--insecure-serving cannot be used with --tls-cert-file or --client-ca-file');
      let tlsCertFile = o.tlsCertFile;
      let tlsKeyFile = o.tlsPrivateKeyFile;
      if (!o.insecureServing && !tlsCertFile) {
        const names = apiserverCertNames({ serviceCIDR: o.serviceClusterIpRange, addresses: [host, ...(o.advertiseAddress ? [o.advertiseAddress] : [])] });
        const made = await ensureSelfSignedServingCert(path.resolve(o.certDir), 'apiserver', { commonName: o.advertiseAddress || host, ...names });
        tlsCertFile = made.certFile;
        tlsKeyFile = made.keyFile;
      }
      const server = await startApiServer({
        host,
        port,
        dataDir: o.dataDir,
        tlsCertFile,
        tlsKeyFile,
        clientCAFile: o.clientCaFile,
        tokenFile: o.tokenAuthFile,
        anonymousAuth: o.anonymousAuth,
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
        fsync: !!o.fsync,
        verbose: !!o.verbose,
      });
      process.stderr.write(`steer apiserver: serving on ${server.url}${o.dataDir ? ` (data in ${String(o.dataDir)})` : ' (in-memory)'}\n`);
      const shutdown = () => {
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
}
