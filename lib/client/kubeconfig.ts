// Kubeconfig files for steer's clusters: writes one that kubectl (1.20 and current) and
// @kubernetes/client-node both accept, and reads the credentials of one without loading client-node
// (whose KubeConfig pulls in every generated API module, ~55 MiB: the all-in-one `steer server` reads its
// components' kubeconfigs this way). With a CA the cluster entry carries certificate-authority-data;
// without one (plain HTTP, or an unverifiable self-signed server) insecure-skip-tls-verify: true, which
// client-node needs for http:// servers (kubectl-protocol.md §0.7) — kubectl refuses both at once.
// Several apiservers: the cluster's `server` is the first (what kubectl uses) and a cluster extension
// named steer.dev/servers lists them all (kubectl and client-node ignore extensions they do not know;
// steer's clients fail over between them). One kubeconfig, one cluster entry: nothing else to keep in step.
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';

/** The name of the cluster extension that lists every apiserver of an HA cluster. */
export const SERVERS_EXTENSION = 'steer.dev/servers';

export interface KubeconfigOptions {
  /** One apiserver URL, or several comma-separated (the first is the cluster's server). */
  server: string;
  token?: string;
  namespace?: string;
  /** Names of the cluster, user and context (default "steer"). */
  name?: string;
  /** PEM of the CA that signed the server's certificate: embedded as certificate-authority-data. */
  ca?: string;
  /** Client certificate and key (PEM), embedded as client-certificate-data / client-key-data. */
  clientCert?: string;
  clientKey?: string;
}

const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');

export function kubeconfigYaml(opts: KubeconfigOptions): string {
  const name = opts.name ?? 'steer';
  const user: Record<string, string> = {};
  if (opts.clientCert && opts.clientKey) {
    user['client-certificate-data'] = b64(opts.clientCert);
    user['client-key-data'] = b64(opts.clientKey);
  }
  if (opts.token) user.token = opts.token;
  const servers = opts.server.split(',').map((x) => x.trim()).filter(Boolean);
  const extensions = servers.length > 1 ? { extensions: [{ name: SERVERS_EXTENSION, extension: { servers } }] } : {};
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: servers[0], ...(opts.ca ? { 'certificate-authority-data': b64(opts.ca) } : { 'insecure-skip-tls-verify': true }), ...extensions } }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: opts.namespace ?? 'default' } }],
    'current-context': name,
    preferences: {},
  };
  return yaml.dump(doc);
}

export function writeKubeconfig(file: string, opts: KubeconfigOptions): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, kubeconfigYaml(opts), { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/** What a client needs from a kubeconfig's current context: the server and how to trust and prove. */
export interface KubeconfigCredentials {
  server: string;
  /** Every apiserver of the cluster (the steer.dev/servers extension), when it lists several. */
  servers?: string[];
  namespace?: string;
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
  insecureSkipTLSVerify?: boolean;
  tlsServerName?: string;
}

type Cluster = { name: string; cluster?: Record<string, unknown> };
type User = { name: string; user?: Record<string, unknown> };
type Context = { name: string; context?: Record<string, unknown> };

/**
 * The current context's credentials of a kubeconfig file: server, CA, client certificate and key
 * (inline *-data or files relative to the kubeconfig), token or token-file. Exec plugins and auth
 * providers are not supported here (KubeClient.load, through client-node, handles those).
 */
export function readKubeconfigCredentials(file: string, context?: string): KubeconfigCredentials {
  const doc = (yaml.load(fs.readFileSync(file, 'utf8')) ?? {}) as { 'current-context'?: string; clusters?: Cluster[]; users?: User[]; contexts?: Context[] };
  const ctxName = context ?? doc['current-context'];
  const ctx = (doc.contexts ?? []).find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new Error(`${file}: no context ${JSON.stringify(ctxName ?? '')}`);
  const cluster = (doc.clusters ?? []).find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster || typeof cluster.server !== 'string') throw new Error(`${file}: context ${ctxName} has no cluster with a server`);
  const user = (doc.users ?? []).find((u) => u.name === ctx.user)?.user ?? {};
  const dir = path.dirname(path.resolve(file));
  const pemOf = (obj: Record<string, unknown>, dataKey: string, fileKey: string): string | undefined => {
    if (typeof obj[dataKey] === 'string') return Buffer.from(obj[dataKey] as string, 'base64').toString('utf8');
    if (typeof obj[fileKey] === 'string') return fs.readFileSync(path.resolve(dir, obj[fileKey] as string), 'utf8');
    return undefined;
  };
  const token = typeof user.token === 'string' ? user.token : typeof user.tokenFile === 'string' ? fs.readFileSync(path.resolve(dir, user.tokenFile), 'utf8').trim() : undefined;
  return {
    server: cluster.server,
    servers: serversOf(cluster),
    namespace: typeof ctx.namespace === 'string' ? ctx.namespace : undefined,
    ca: pemOf(cluster, 'certificate-authority-data', 'certificate-authority'),
    cert: pemOf(user, 'client-certificate-data', 'client-certificate'),
    key: pemOf(user, 'client-key-data', 'client-key'),
    token,
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: typeof cluster['tls-server-name'] === 'string' ? cluster['tls-server-name'] : undefined,
  };
}

/** The apiservers a cluster entry's steer.dev/servers extension lists (undefined without one). */
function serversOf(cluster: Record<string, unknown>): string[] | undefined {
  const exts = Array.isArray(cluster.extensions) ? (cluster.extensions as Array<{ name?: string; extension?: { servers?: unknown } }>) : [];
  const servers = exts.find((e) => e.name === SERVERS_EXTENSION)?.extension?.servers;
  return Array.isArray(servers) ? servers.filter((s): s is string => typeof s === 'string') : undefined;
}

/**
 * The apiservers listed by the steer.dev/servers extension of cluster `clusterName`, looked up where
 * kubectl reads kubeconfigs (the file given, else each of $KUBECONFIG, else ~/.kube/config); [] when none.
 */
export function kubeconfigServers(file: string | undefined, clusterName: string): string[] {
  const files = file ? [file] : process.env.KUBECONFIG ? process.env.KUBECONFIG.split(path.delimiter).filter(Boolean) : [path.join(os.homedir(), '.kube', 'config')];
  for (const f of files) {
    let doc: { clusters?: Cluster[] } | undefined;
    try {
      doc = yaml.load(fs.readFileSync(f, 'utf8')) as { clusters?: Cluster[] } | undefined;
    } catch {
      continue;
    }
    const cluster = (doc?.clusters ?? []).find((c) => c.name === clusterName)?.cluster;
    const servers = cluster ? serversOf(cluster) : undefined;
    if (servers?.length) return servers;
  }
  return [];
}
