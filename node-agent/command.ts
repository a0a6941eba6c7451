// Registers `steer node-agent`: one agent on a CRI runtime (containerd), or one agent / N hollow agents
// on the in-memory fake runtime (`--runtime fake --count N`). Runs until SIGINT/SIGTERM. The agent's
// port is HTTPS with the kubelet's authentication (client certificates of --client-ca-file, bearer tokens
// through TokenReview) and authorization (--authorization-mode Webhook: SubjectAccessReview) unless
// --insecure-serving asks for plain HTTP; hollow nodes always serve plain HTTP (a benchmark tool).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { KubeClient } from '../lib/client/client';
import { DEFAULT_LEASE_DURATION_SECONDS, DEFAULT_LEASE_RENEW_INTERVAL_MS } from './agent';
import { CriRuntime } from './runtime/cri/cri-runtime';
import { FakeRuntime } from './runtime/fake-runtime';
import { startHollowNodes } from './hollow';
import type { ContainerRuntime } from './runtime/runtime';
import { startNodeAgent } from './start';
import { durationOption, intOption } from '../lib/component/flags';
import { canonicalIPv4Cidr } from '../lib/api/ip';
import { ListenAddress, parseHostPort } from './network/dns/server';
import { boolOption } from '../lib/component/flags';
import { ensureSelfSignedServingCert, localHostNames, splitSANs } from '../lib/component/pki';
import { subjectAccessReviewAuthorizer, tokenReviewAuthenticator, type SecureServingOptions } from '../lib/component/secure-serving';
import { defaultNodeAddress } from './node-status';
import { evictionFromFlags, type EvictionOptions } from './eviction/manager';
import { DefaultEvictionHard } from './eviction/thresholds';
import { DefaultImageGcPolicy, validateImageGcPolicy } from './image-gc';
import { IMAGES } from './runtime-setup';

interface NodeAgentFlags {
  kubeconfig?: string;
  server?: string;
  nodeName: string;
  criSocket?: string;
  runtime: string;
  stateDir: string;
  /** false with --no-tmpfs-volumes. */
  tmpfsVolumes: boolean;
  logDir?: string;
  port: number;
  address?: string;
  bindAddress?: string;
  leaseRenewInterval: number;
  leaseDuration: number;
  relistInterval: number;
  cgroupRoot: string;
  clusterDns?: string;
  clusterDomain: string;
  maxPods: number;
  count: number;
  crashBackoffInitial: number;
  crashBackoffMax: number;
  podCidr?: string;
  podRoutes?: boolean;
  serviceProxy?: boolean;
  networkPolicy?: boolean;
  clusterCidr?: string;
  dnsServer: boolean;
  dnsBind?: ListenAddress;
  resolvConf?: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  certDir?: string;
  clientCaFile?: string;
  anonymousAuth: boolean;
  authorizationMode: string;
  insecureServing?: boolean;
  evictionHard: string;
  evictionSoft?: string;
  evictionSoftGracePeriod?: string;
  evictionPressureTransitionPeriod: string;
  evictionMaxPodGracePeriod: number;
  imageGcHighThreshold: number;
  imageGcLowThreshold: number;
  imageMinimumGcAge: number;
  podInfraContainerImage: string;
}

function listenAddress(v: string): ListenAddress {
  const a = parseHostPort(v);
  if (!a) throw new InvalidArgumentError(`invalid address ${v} (use an IP, or IP:PORT)`);
  return a;
}

/** The kubelet's serving: its certificate (or a self-signed one in --cert-dir), client CA, token and SAR webhooks. */
async function agentServingFromFlags(flags: NodeAgentFlags, client: KubeClient): Promise<SecureServingOptions | undefined> {
  if (flags.insecureServing) return undefined;
  if (!!flags.tlsCertFile !== !!flags.tlsPrivateKeyFile) throw new InvalidArgumentError('--tls-cert-file and --tls-private-key-file go together');
  if (flags.authorizationMode !== 'Webhook' && flags.authorizationMode !== 'AlwaysAllow') throw new InvalidArgumentError('--authorization-mode must be Webhook or AlwaysAllow');
  let certFile = flags.tlsCertFile;
  let keyFile = flags.tlsPrivateKeyFile;
  if (!certFile) {
    const names = splitSANs([...localHostNames(), flags.address || defaultNodeAddress(), flags.nodeName]);
    const made = await ensureSelfSignedServingCert(path.resolve(flags.certDir || path.join(flags.stateDir, 'pki')), 'kubelet', { commonName: `${flags.nodeName}@self-signed`, ...names });
    certFile = made.certFile;
    keyFile = made.keyFile;
  }
  return {
    cert: fs.readFileSync(certFile, 'utf8'),
    key: fs.readFileSync(keyFile!, 'utf8'),
    clientCA: flags.clientCaFile ? fs.readFileSync(flags.clientCaFile, 'utf8') : undefined,
    // The kubelet's webhook cache lifetimes: 2 min for tokens, 5 min for allowed and 30 s for denied requests.
    tokens: tokenReviewAuthenticator(client, { cacheTTLMs: 120_000 }),
    authorizer: flags.authorizationMode === 'Webhook' ? subjectAccessReviewAuthorizer(client, { allowTTLMs: 300_000, denyTTLMs: 30_000 }) : undefined,
    anonymous: flags.anonymousAuth,
  };
}



function podCidr(v: string): string {
  const canonical = canonicalIPv4Cidr(v);
  if (!canonical) throw new InvalidArgumentError(`invalid pod CIDR ${v} (use an IPv4 network such as 10.88.1.0/24)`);
  if (canonical !== v.trim()) throw new InvalidArgumentError(`pod CIDR ${v} has host bits set (did you mean ${canonical}?)`);
  return canonical;
}

export function register(program: Command): void {
  program
    .command('node-agent')
    .description("run the node agent (steer's kubelet): realize pods bound to this node through CRI")
    .option('--kubeconfig <file>', 'kubeconfig of the apiserver (default $KUBECONFIG or ~/.kube/config)')
    .option('--server <urls>', 'apiserver URL, or several comma-separated to fail over between (overrides the kubeconfig)')
    .option('--node-name <name>', 'name of the Node to register', os.hostname())
    .option('--cri-socket <path>', 'containerd CRI socket (with --runtime cri)')
    .option('--runtime <kind>', 'cri or fake', 'cri')
    .option('--state-dir <dir>', 'pod volumes and state', '/var/lib/steer/node-agent')
    .option('--log-dir <dir>', 'container log root (default <state-dir>/pod-logs)')
    .option('--no-tmpfs-volumes', 'keep secret, projected and downwardAPI volumes and emptyDirs of medium Memory on disk instead of tmpfs under <state-dir>/memory (default with --runtime cri)')
    .option('--port <n>', 'HTTP port for logs, metrics, healthz (0 = any free port)', intOption(0, Number.MAX_SAFE_INTEGER, '--port'), 10250)
    .option('--address <ip>', "the node's InternalIP (default: first non-loopback IPv4)")
    .option('--bind-address <ip>', 'address the HTTP server listens on (default: --address)')
    .option('--lease-renew-interval <d>', 'node Lease renewal period', durationOption('ms'), DEFAULT_LEASE_RENEW_INTERVAL_MS)
    .option('--lease-duration <s>', 'node Lease duration in seconds', intOption(0, Number.MAX_SAFE_INTEGER, '--lease-duration'), DEFAULT_LEASE_DURATION_SECONDS)
    .option('--relist-interval <d>', 'runtime relist (PLEG) period', durationOption('ms'), 100)
    .option('--cgroup-root <path>', 'parent cgroup of all pods', '/steerpods')
    .option('--cluster-dns <ips>', 'comma-separated cluster DNS servers for ClusterFirst pods; the agent answers them itself (kube-dns\'s ClusterIP, e.g. 10.96.0.10)')
    .option('--cluster-domain <domain>', 'cluster DNS domain', 'cluster.local')
    .option('--no-dns-server', 'with --cluster-dns: do not serve cluster DNS here (another server answers those addresses)')
    .option('--dns-bind <ip[:port]>', "where the cluster DNS server listens (default: the node's address, port 53)", listenAddress)
    .option('--resolv-conf <file>', 'resolver config for Default-policy pods and for names outside the cluster', '/etc/resolv.conf')
    .option('--max-pods <n>', 'pods this node accepts', intOption(0, Number.MAX_SAFE_INTEGER, '--max-pods'), 110)
    .option('--count <n>', 'with --runtime fake: run N hollow nodes named <node-name>-<i>', intOption(0, Number.MAX_SAFE_INTEGER, '--count'), 1)
    .option('--crash-backoff-initial <d>', 'first CrashLoopBackOff delay', durationOption('ms'), 10_000)
    .option('--crash-backoff-max <d>', 'CrashLoopBackOff cap', durationOption('ms'), 300_000)
    .option('--pod-cidr <cidr>', "this node's pod network, registered as the Node's spec.podCIDR (e.g. 10.88.1.0/24)", podCidr)
    .option('--service-proxy', 'route Service ClusterIPs and NodePorts to their endpoints with iptables (kube-proxy iptables mode)')
    .option('--cluster-cidr <cidr>', 'with --service-proxy: the pod network; ClusterIP traffic from outside it is masqueraded (default: all of it)', podCidr)
    .option('--network-policy', "enforce NetworkPolicies on this node's pods with iptables (kube-router's policy controller, as k3s runs it)")
    .option('--pod-routes', "keep host routes to the other nodes' pod CIDRs via their InternalIPs (nodes on one L2 network)")
    .option('--tls-cert-file <file>', "the agent's serving certificate (default: self-signed, kept in --cert-dir)")
    .option('--tls-private-key-file <file>', 'key of --tls-cert-file')
    .option('--cert-dir <dir>', 'where the self-signed serving certificate is kept (default <state-dir>/pki)')
    .option('--client-ca-file <file>', 'client certificates signed by this CA authenticate (CN = user, O = groups)')
    .option('--anonymous-auth [bool]', 'requests without credentials run as system:anonymous (else 401)', boolOption, false)
    .option('--authorization-mode <mode>', 'Webhook (ask the apiserver: SubjectAccessReview) or AlwaysAllow', 'Webhook')
    .option('--insecure-serving', 'serve plain HTTP without authentication or authorization')
    .option('--eviction-hard <thresholds>', 'with --runtime cri: node-pressure eviction thresholds, signal<quantity or signal<N% (memory.available, nodefs.available, nodefs.inodesFree, pid.available; empty: none)', DefaultEvictionHard)
    .option('--eviction-soft <thresholds>', 'soft thresholds, acted on after their --eviction-soft-grace-period')
    .option('--eviction-soft-grace-period <periods>', 'signal=duration,… for each soft threshold (e.g. memory.available=1m30s)')
    .option('--eviction-pressure-transition-period <d>', 'how long a pressure condition stays after its last crossing', '5m')
    .option('--image-gc-high-threshold <percent>', 'with --runtime cri: image filesystem usage from which unused images are removed', intOption(0, 100, '--image-gc-high-threshold'), DefaultImageGcPolicy.highThresholdPercent)
    .option('--image-gc-low-threshold <percent>', 'usage image garbage collection frees down to', intOption(0, 100, '--image-gc-low-threshold'), DefaultImageGcPolicy.lowThresholdPercent)
    .option('--image-minimum-gc-age <d>', 'an unused image is kept at least this long after it was first seen', durationOption('s'), DefaultImageGcPolicy.minAgeMs)
    .option('--pod-infra-container-image <image>', 'the sandbox image containerd uses, never removed by image garbage collection', IMAGES.pause)
    .option('--eviction-max-pod-grace-period <s>', "a soft eviction's grace period cap in seconds (0: the pod's own)", intOption(0, Number.MAX_SAFE_INTEGER, '--eviction-max-pod-grace-period'), 0)
    .action(async (flags: NodeAgentFlags) => {
      const client = KubeClient.load({ kubeconfig: flags.kubeconfig, server: flags.server });
      if (flags.runtime !== 'cri' && flags.runtime !== 'fake') throw new InvalidArgumentError('--runtime must be cri or fake');
      let stop: () => Promise<void>;
      if (flags.runtime === 'fake' && flags.count > 1) {
        const hollow = await startHollowNodes({
          client,
          count: flags.count,
          namePrefix: `${flags.nodeName}-`,
          maxPods: flags.maxPods,
          leaseRenewIntervalMs: flags.leaseRenewInterval,
          leaseDurationSeconds: flags.leaseDuration,
          port: flags.port,
        });
        console.error(`steer node-agent: ${hollow.names.length} hollow nodes running (logs/metrics on port ${hollow.port})`);
        stop = hollow.stop;
      } else {
        let runtime: ContainerRuntime;
        if (flags.runtime === 'fake') runtime = new FakeRuntime();
        else {
          if (!flags.criSocket) throw new InvalidArgumentError('--cri-socket is required with --runtime cri');
          runtime = new CriRuntime(flags.criSocket);
        }
        let eviction: EvictionOptions;
        const imageGc = { highThresholdPercent: flags.imageGcHighThreshold, lowThresholdPercent: flags.imageGcLowThreshold, minAgeMs: flags.imageMinimumGcAge };
        try {
          eviction = evictionFromFlags(flags);
          validateImageGcPolicy(imageGc);
        } catch (err) {
          throw new InvalidArgumentError((err as Error).message);
        }
        const serving = await agentServingFromFlags(flags, client);
        const clusterDNS = flags.clusterDns ? flags.clusterDns.split(',').map((s) => s.trim()).filter(Boolean) : [];
        const running = await startNodeAgent({
          client,
          serving,
          nodeName: flags.nodeName,
          runtime,
          stateDir: path.resolve(flags.stateDir),
          tmpfsVolumes: flags.tmpfsVolumes && flags.runtime !== 'fake',
          hostUsage: flags.runtime !== 'fake',
          logRoot: flags.logDir ? path.resolve(flags.logDir) : undefined,
          cgroupRoot: flags.cgroupRoot,
          cgroupFs: flags.runtime === 'fake' ? false : undefined,
          address: flags.address,
          bindAddress: flags.bindAddress,
          port: flags.port,
          maxPods: flags.maxPods,
          leaseRenewIntervalMs: flags.leaseRenewInterval,
          leaseDurationSeconds: flags.leaseDuration,
          relistIntervalMs: flags.relistInterval,
          clusterDNS,
          clusterDomain: flags.clusterDomain,
          resolvConf: flags.resolvConf,
          dnsServer: flags.dnsServer && clusterDNS.length > 0 ? (flags.dnsBind ? { listen: [flags.dnsBind] } : true) : false,
          backoff: { initialMs: flags.crashBackoffInitial, maxMs: flags.crashBackoffMax },
          podCIDR: flags.podCidr,
          podRoutes: flags.podRoutes === true,
          serviceProxy: flags.serviceProxy ? { clusterCIDR: flags.clusterCidr } : false,
          networkPolicy: flags.networkPolicy === true,
          // The host's memory, disk and PIDs: only a real node acts on them.
          eviction: flags.runtime === 'cri' ? eviction : undefined,
          imageGc: flags.runtime === 'cri' ? { ...imageGc, protectedImages: [flags.podInfraContainerImage] } : undefined,
        });
        console.error(`steer node-agent: node ${running.nodeName} registered; serving on ${running.url || '(no server)'}`);
        stop = async () => {
          await running.stop();
          runtime.close();
        };
      }
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await stop();
      client.close();
    });
}
