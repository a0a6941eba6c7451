// `steer server`: the whole single-node cluster in ONE process, as k3s does — apiserver (LevelDB, or etcd),
// scheduler, controllers and a node agent on containerd, each started through its component's exported
// start function. One Node.js heap for all four keeps steer's own memory small. Runs until SIGTERM /
// SIGINT, then stops the components in reverse order.
// Secure as separate processes would be: the apiserver serves HTTPS with the cluster's PKI (pki.ts,
// `<state>/pki`), authenticates client certificates and the static token file; each component reaches
// it with its own identity (system:kube-scheduler, system:kube-controller-manager, system:node:<node>,
// the names of the client certificates in their kubeconfigs): over the apiserver's local Unix socket
// (<state>/apiserver.sock, mode 0600, no TLS: loopback TLS, a connection per watch, cost ~12 MiB of
// buffers in all) with a random token per component that is valid on that socket only, or over loopback HTTPS
// with the component's kubeconfig when the socket's path is too long for a Unix socket; the scheduler's and controller manager's metrics
// ports and the node agent's port serve HTTPS behind delegated authentication and authorization.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clusterDnsIP, defaultAdmissionPlugins, defaultAdvertiseAddress, startApiServer, type StorageOptions } from '../../apiserver';
import { startControllers } from '../../controllers';
import { KubeClient } from '../../lib/client/client';
import { readKubeconfigCredentials } from '../../lib/client/kubeconfig';
import { SharedInformerFactory } from '../../lib/client/shared-informers';
import type { InProcessApi } from '../../lib/api/in-process';
import type { UserInfo } from '../../apiserver/auth/types';
import { writeFileAtomic } from '../../lib/component/pki';
import { subjectAccessReviewAuthorizer, tokenReviewAuthenticator, type SecureServingOptions } from '../../lib/component/secure-serving';
import { CriRuntime, IMAGES, RuntimeInfo, defaultEviction, ensureRuntime, startNodeAgent } from '../../node-agent';
import { startScheduler } from '../../scheduler';
import { CONSOLE_ADMIN, ensureConsoleAdmin, ensurePrometheusAccess } from './authorization';
import { adminKubeconfig, certificateUser, PROMETHEUS_USER, serverPki, thisNode, writeComponentKubeconfigs, type ClusterPki } from './pki';
import { startMemoryLog } from './memory-log';
import { ClusterPaths, ServerInfo, clusterPaths, readJson, writeJson } from './state';

/** What `steer up` and the `steer server` it starts share: the state directory, the node, ports, networks. */
export interface ClusterOptions {
  stateDir?: string;
  nodeName: string;
  agentPort: number;
  schedulerMetricsPort: number;
  controllersMetricsPort: number;
  podSubnet?: string;
  /** Service ClusterIP range (the apiserver's default 10.96.0.0/12). */
  serviceCidr?: string;
  bridge?: string;
  /** The cluster DNS address pods use (default: the 10th address of the Service range, kube-dns' ClusterIP). */
  clusterDns?: string;
  /** The cluster DNS domain (default cluster.local). */
  clusterDomain?: string;
}

export interface ServerOptions extends ClusterOptions {
  /** The apiserver's address. */
  host: string;
  port: number;
  /** The apiserver's storage (default: LevelDB in the state dir). */
  storage?: StorageOptions;
}

interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} steer server: ${msg}\n`);
}

/** The longest path a Unix socket address holds (sun_path, with its terminating NUL). */
const MAX_SOCKET_PATH = 107;

/** Where the in-process components reach the apiserver: its local socket with per-component tokens. */
interface LocalSocket {
  path: string;
  tokens: Map<string, UserInfo>;
  /** The apiserver in this process: the components' requests and watches skip even the socket. */
  inProcess?: InProcessApi;
}

/**
 * A client with a component's own identity (no client-node load): on the local socket, a fresh token
 * registered for the user its kubeconfig's certificate names; else that kubeconfig, over loopback HTTPS.
 */
function componentClient(pki: ClusterPki, component: string, local: LocalSocket | undefined): KubeClient {
  const credentials = readKubeconfigCredentials(pki.kubeconfigFile(component));
  if (!local || !credentials.cert) return KubeClient.fromCredentials(credentials);
  return localClient(local, credentials.cert);
}

/** A client on the local socket with a fresh token that runs as the user `certPem` names. */
function localClient(local: LocalSocket, certPem: string): KubeClient {
  const token = crypto.randomBytes(32).toString('base64url');
  local.tokens.set(token, certificateUser(certPem));
  return KubeClient.fromCredentials({ server: 'http://localhost', socketPath: local.path, token, inProcess: local.inProcess });
}

/** Delegated authentication and authorization of a component's port, through its own client. */
function componentServing(pki: ClusterPki, component: string, client: KubeClient, kubelet = false): SecureServingOptions {
  const serving = pki.serving(component);
  return {
    cert: serving.cert,
    key: serving.key,
    clientCA: pki.ca.cert,
    // The kubelet's cache lifetimes for the node agent, the generic delegating ones for the others.
    tokens: tokenReviewAuthenticator(client, kubelet ? { cacheTTLMs: 120_000 } : {}),
    authorizer: subjectAccessReviewAuthorizer(client, kubelet ? { allowTTLMs: 300_000, denyTTLMs: 30_000 } : {}),
    anonymous: !kubelet,
  };
}

/** Starts every component; resolves with a stop function once all are up. */
export async function startServer(o: ServerOptions): Promise<{ info: ServerInfo; stop(): Promise<void> }> {
  const paths: ClusterPaths = clusterPaths(o.stateDir);
  const started: Stoppable[] = [];
  const stopAll = async () => {
    for (const s of [...started].reverse()) {
      try {
        await s.stop();
        log(`${s.name} stopped`);
      } catch (err) {
        log(`${s.name} stop failed: ${(err as Error).message}`);
      }
    }
  };
  try {
    let runtime = readJson<RuntimeInfo>(paths.runtimeInfo);
    if (!runtime || !fs.existsSync(runtime.criSocket)) {
      log('setting up the container runtime');
      runtime = await ensureRuntime({ stateDir: paths.runtime, nodeName: o.nodeName, podSubnet: o.podSubnet, bridge: o.bridge });
      writeJson(paths.runtimeInfo, runtime);
    }

    const pki = await serverPki(o);
    fs.mkdirSync(paths.apiserverData, { recursive: true });
    // kube-dns' ClusterIP: the apiserver reserves it, the node agent answers it.
    const clusterDNS = o.clusterDns || clusterDnsIP(o.serviceCidr || '10.96.0.0/12');
    // Pods reach the apiserver through the `kubernetes` Service, whose endpoint is the advertise address:
    // the node's own address (as the node agent's and the cluster DNS server's). A loopback-only apiserver
    // also listens there, on the same port; clients on the machine keep using loopback.
    const advertiseAddress = defaultAdvertiseAddress(o.host);
    const loopbackOnly = o.host === 'localhost' || o.host === '::1' || o.host.startsWith('127.');
    const socketPath = path.join(paths.root, 'apiserver.sock');
    const local: LocalSocket | undefined = Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH ? { path: socketPath, tokens: new Map() } : undefined;
    if (!local) log(`state directory path too long for a Unix socket (${socketPath}): components use loopback HTTPS`);
    const api = await startApiServer({
      localSocket: local,
      ...o.storage,
      host: o.host,
      port: o.port,
      advertiseAddress,
      additionalListenHosts: loopbackOnly && advertiseAddress !== '127.0.0.1' ? [advertiseAddress] : [],
      dataDir: paths.apiserverData,
      serviceClusterIPRange: o.serviceCidr,
      clusterDNSIP: clusterDNS ?? false,
      tlsCertFile: pki.apiserver.certFile,
      tlsKeyFile: pki.apiserver.keyFile,
      clientCAFile: pki.caFile,
      tokenFile: pki.tokenFile,
      // As k3s: no anonymous requests (the health probes still answer anyone); 401 without credentials.
      anonymousAuth: false,
      authorizationMode: ['Node', 'RBAC'],
      kubeletClient: { certFile: pki.kubeletClient.certFile, keyFile: pki.kubeletClient.keyFile, caFile: pki.caFile },
      // Service-account tokens: pki.saKeyFile signs them and pki.saPubFile verifies them.
      serviceAccountSigningKeyFile: pki.saKeyFile,
      serviceAccountKeyFiles: [pki.saPubFile],
      enableAdmissionPlugins: [...defaultAdmissionPlugins],
      console: true,
      // `kubectl get cs`: the in-process scheduler and controller manager on their secure health ports.
      componentStatusTargets: [
        ...(o.schedulerMetricsPort ? [{ name: 'scheduler', url: `https://127.0.0.1:${o.schedulerMetricsPort}/healthz` }] : []),
        ...(o.controllersMetricsPort ? [{ name: 'controller-manager', url: `https://127.0.0.1:${o.controllersMetricsPort}/healthz` }] : []),
      ],
    });
    started.push({ name: 'apiserver', stop: () => api.close() });
    if (local) local.inProcess = api.inProcess;
    log(`apiserver listening on ${api.url}${o.storage?.storage === 'etcd' ? ` (etcd ${o.storage.etcdServers?.join(',')})` : ''}${loopbackOnly && advertiseAddress !== '127.0.0.1' ? ` and on ${advertiseAddress} for pods (the kubernetes Service)` : ''}`);
    // The in-process components reach the apiserver with their own identities, as separate processes
    // would: on the local socket, or over loopback HTTPS with these kubeconfigs.
    const localUrl = o.host === '0.0.0.0' || o.host === '127.0.0.1' || o.host === '::' ? `https://127.0.0.1:${api.port}` : api.url;
    writeComponentKubeconfigs(pki, localUrl, [thisNode(o.nodeName)]);
    writeFileAtomic(paths.kubeconfig, adminKubeconfig(pki, api.url), 0o600);
    const clients: KubeClient[] = [];
    started.push({ name: 'clients', stop: async () => clients.forEach((c) => c.close()) });
    const clientFor = (component: string) => {
      const c = componentClient(pki, component, local);
      clients.push(c);
      return c;
    };
    // The cluster's bootstrap objects are written as kubernetes-admin.
    const admin = local
      ? localClient(local, pki.admin.cert)
      : KubeClient.fromCredentials({ server: localUrl, ca: pki.ca.cert, cert: pki.admin.cert, key: pki.admin.key });
    clients.push(admin);
    await ensurePrometheusAccess(admin)
      .then((granted) => granted && log(`RBAC: ${PROMETHEUS_USER} may read the node agents' metrics`))
      .catch((err: Error) => log(`could not grant Prometheus access to node metrics: ${err.message}`));
    await ensureConsoleAdmin(admin)
      .then((made) => made && log(`RBAC: ServiceAccount ${CONSOLE_ADMIN.namespace}/${CONSOLE_ADMIN.name} (cluster-admin) logs in to the web console`))
      .catch((err: Error) => log(`could not create the web console's admin ServiceAccount: ${err.message}`));

    // One controller manager in this cluster: no Lease to campaign for before the controllers run.
    const ctlClient = clientFor('controller-manager');
    // One set of informers for every component of this process: each kind is listed, watched, decoded
    // and cached once, not once per component (pods, Services, Endpoints, ReplicaSets… were each watched
    // two to four times). They only read, as the controller manager (which may read every kind); each
    // component still writes with its own identity. Stopped after the components (started is unwound
    // in reverse), whose handlers ignore what arrives once they have stopped.
    const sharedInformers = new SharedInformerFactory(ctlClient);
    started.push({ name: 'shared informers', stop: async () => sharedInformers.stop() });
    const ctl = await startControllers({
      client: ctlClient,
      informers: sharedInformers,
      metricsPort: o.controllersMetricsPort,
      metricsHost: '127.0.0.1',
      metricsServing: componentServing(pki, 'controller-manager', ctlClient),
      rootCAFile: pki.caFile,
      // kubeadm's --cluster-signing-cert-file / --cluster-signing-key-file: the cluster CA signs approved CSRs.
      clusterSigning: { certFile: pki.caFile, keyFile: path.join(pki.dir, 'ca.key') },
      leaderElect: false,
    });
    started.push({ name: 'controllers', stop: () => ctl.stop() });
    log('controllers started');

    const schedClient = clientFor('scheduler');
    const sched = await startScheduler({
      client: schedClient,
      informers: sharedInformers,
      metricsPort: o.schedulerMetricsPort,
      metricsHost: '127.0.0.1',
      metricsServing: componentServing(pki, 'scheduler', schedClient),
    });
    started.push({ name: 'scheduler', stop: () => sched.stop() });
    log('scheduler started');

    const cri = new CriRuntime(runtime.criSocket);
    started.push({ name: 'CRI client', stop: async () => cri.close() });
    const nodeClient = clientFor(`node-${o.nodeName}`);
    const agent = await startNodeAgent({
      client: nodeClient,
      informers: sharedInformers,
      serving: componentServing(pki, `node-${o.nodeName}`, nodeClient, true),
      nodeName: o.nodeName,
      runtime: cri,
      stateDir: paths.agent,
      // Secrets and tokens in memory, as the kubelet keeps them; `steer down` unmounts it.
      tmpfsVolumes: true,
      hostUsage: true,
      logRoot: runtime.podLogDir,
      cgroupRoot: runtime.cgroupRoot,
      port: o.agentPort,
      // ClusterIPs and NodePorts; chains named after the bridge, which no other live runtime shares.
      serviceProxy: { instance: runtime.bridge, clusterCIDR: runtime.podSubnet },
      // NetworkPolicies enforced on the node's pods (chains named after the bridge too).
      networkPolicy: true,
      // Node-pressure eviction and image garbage collection with the kubelet's defaults.
      eviction: defaultEviction(),
      imageGc: { protectedImages: [IMAGES.pause], imageFsPath: runtime.stateDir },
      // Cluster DNS: ClusterFirst pods get nameserver <clusterDNS>, which this agent answers itself.
      clusterDNS: clusterDNS ? [clusterDNS] : [],
      clusterDomain: o.clusterDomain || 'cluster.local',
      dnsServer: !!clusterDNS,
    });
    started.push({ name: 'node agent', stop: () => agent.stop() });
    log(`node agent ${agent.nodeName} started (${agent.url || 'no HTTP server'})`);

    // Prometheus finds the node agent through this file (file_sd_configs in manifests/prometheus.yml):
    // the agent listens on the node's address, which only the running agent knows.
    if (agent.url) {
      writeJson(paths.prometheusNodeTargets, [{ targets: [new URL(agent.url).host], labels: { node: agent.nodeName } }]);
    }

    const info: ServerInfo = {
      pid: process.pid,
      apiserverUrl: api.url,
      nodeName: agent.nodeName,
      agentPort: agent.port,
      schedulerMetricsPort: o.schedulerMetricsPort,
      controllersMetricsPort: o.controllersMetricsPort,
    };
    writeJson(paths.serverInfo, info);
    return { info, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Runs the server in the foreground until a signal; the PID file names this process. */
export async function runServer(o: ServerOptions): Promise<void> {
  const paths = clusterPaths(o.stateDir);
  fs.mkdirSync(paths.root, { recursive: true });
  fs.writeFileSync(paths.pidFile, `${process.pid}\n`);
  // One component's stray error must leave a trace in the log before the process goes.
  process.on('uncaughtException', (err) => {
    log(`uncaught exception: ${err.stack || err.message}`);
    process.exit(70);
  });
  process.on('unhandledRejection', (reason) => {
    log(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
  });
  process.on('exit', (code) => log(`exiting with code ${code}`));
  const { stop } = await startServer(o);
  log('all components are running');
  // $STEER_MEMORY_LOG_SECONDS: a memory line every so many seconds (bench/soak.ts reads them).
  startMemoryLog(log);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (sig: string) => {
      if (stopping) return;
      stopping = true;
      log(`${sig}: stopping`);
      stop().finally(resolve);
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  try {
    fs.unlinkSync(paths.serverInfo);
  } catch {
    // already gone
  }
  log('stopped');
  // Every component has stopped; a timer or socket one of them left open must not keep the process
  // (and so `steer down`) waiting.
  process.exit(0);
}

export function defaultNodeName(): string {
  return os.hostname().toLowerCase().replace(/[^a-z0-9.-]/g, '-') || 'steer-node';
}
