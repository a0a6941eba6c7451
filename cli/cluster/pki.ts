// A steer cluster's PKI and credentials, as kubeadm lays them out (/etc/kubernetes/pki), in one
// directory (`<state>/pki` for `steer up`, any directory for `steer certs`):
//   ca.crt/key                          the cluster CA (10 years)
//   apiserver.crt/key                   serving: kubernetes, kubernetes.default[.svc[.cluster.local]], the first
//                                       Service IP, localhost, 127.0.0.1, the host's names and addresses, more SANs
//   apiserver-kubelet-client.crt/key    CN kube-apiserver-kubelet-client, O system:masters (the apiserver → node agents)
//   admin.crt/key                       CN kubernetes-admin, O system:masters
//   scheduler.crt/key                   CN system:kube-scheduler; scheduler-serving.crt/key for its metrics port
//   controller-manager.crt/key          CN system:kube-controller-manager; controller-manager-serving.crt/key
//   node-<name>.crt/key                 CN system:node:<name>, O system:nodes; node-<name>-serving.crt/key (its addresses)
//   sa.key / sa.pub                     RSA pair that signs and verifies service-account tokens
//   tokens.csv                          static bearer tokens (--token-auth-file): Prometheus' (steer:prometheus in
//                                       system:monitoring); prometheus.token holds it alone (bearer_token_file)
//   <component>.kubeconfig              the CA, the server URL and the component's client certificate
// Keys and tokens are 0600, certificates 0644. Everything kept is reused on later runs; a certificate is
// reissued only when it no longer does its job (other CA, a name missing, expiring within 30 days).
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { UserInfo } from '../../apiserver/auth/types';
import { kubeconfigYaml } from '../../lib/client/kubeconfig';
import { clusterPaths } from './state';
import {
  apiserverCertNames,
  certificateIdentity,
  certificateStillValid,
  createCA,
  createServiceAccountKeyPair,
  issueCertificate,
  localHostNames,
  readCertKey,
  splitSANs,
  writeCertKey,
  writeFileAtomic,
  type CertKeyPem,
  type CertSpec,
} from '../../lib/component/pki';

/** The identity Prometheus scrapes with (a static token; RBAC binds system:monitoring to /metrics). */
export const PROMETHEUS_USER = 'steer:prometheus';
export const MONITORING_GROUP = 'system:monitoring';

export interface ClusterNode {
  name: string;
  /** The addresses the node agent is reached at (its InternalIP first). */
  addresses: string[];
}

export interface ClusterPkiOptions {
  dir: string;
  /** Extra names and addresses of the apiserver (its advertise address, a load balancer, ...). */
  apiserverNames?: string[];
  /** Service range: its first address is the `kubernetes` Service's ClusterIP (default 10.96.0.0/12). */
  serviceCIDR?: string;
  nodes: ClusterNode[];
  /** Where the control plane's metrics ports are reached (default: this machine's names). */
  controlPlaneNames?: string[];
}

export interface ClusterPki {
  dir: string;
  caFile: string;
  ca: CertKeyPem;
  apiserver: { certFile: string; keyFile: string };
  kubeletClient: { certFile: string; keyFile: string };
  admin: CertKeyPem;
  saKeyFile: string;
  saPubFile: string;
  tokenFile: string;
  prometheusTokenFile: string;
  /** The client pair and serving pair of a component: 'scheduler', 'controller-manager', `node-${name}`. */
  client(component: string): CertKeyPem;
  serving(component: string): CertKeyPem;
  /** The kubeconfig file a component's credentials are written to. */
  kubeconfigFile(component: string): string;
}

async function keep(dir: string, base: string, ca: CertKeyPem, spec: CertSpec): Promise<CertKeyPem> {
  const kept = readCertKey(dir, base);
  const client = spec.usage !== 'server';
  if (
    kept &&
    certificateStillValid(kept.cert, {
      ca: ca.cert,
      dnsNames: spec.dnsNames,
      ipAddresses: spec.ipAddresses,
      ...(client ? { commonName: spec.commonName, organizations: spec.organizations ?? [] } : {}),
    })
  ) {
    return kept;
  }
  const pair = await issueCertificate(ca, spec);
  writeCertKey(dir, base, pair);
  return pair;
}

/** Creates what is missing of a cluster's PKI in o.dir and reissues what no longer fits. */
export async function ensureClusterPki(o: ClusterPkiOptions): Promise<ClusterPki> {
  const dir = path.resolve(o.dir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  let ca = readCertKey(dir, 'ca');
  if (!ca || !certificateStillValid(ca.cert, {})) {
    ca = await createCA('steer-ca');
    writeCertKey(dir, 'ca', ca);
    // A new CA invalidates everything it signed: those are reissued below.
  }
  const apiNames = apiserverCertNames({ serviceCIDR: o.serviceCIDR, addresses: o.apiserverNames });
  await keep(dir, 'apiserver', ca, { commonName: 'kube-apiserver', ...apiNames, usage: 'server' });
  await keep(dir, 'apiserver-kubelet-client', ca, { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'], usage: 'client' });
  const admin = await keep(dir, 'admin', ca, { commonName: 'kubernetes-admin', organizations: ['system:masters'], usage: 'client' });
  const pairs = new Map<string, CertKeyPem>();
  const cpNames = splitSANs(o.controlPlaneNames ?? localHostNames());
  for (const [component, user] of [
    ['scheduler', 'system:kube-scheduler'],
    ['controller-manager', 'system:kube-controller-manager'],
  ] as const) {
    pairs.set(component, await keep(dir, component, ca, { commonName: user, usage: 'client' }));
    pairs.set(`${component}-serving`, await keep(dir, `${component}-serving`, ca, { commonName: user, ...cpNames, usage: 'server' }));
  }
  for (const node of o.nodes) {
    const user = `system:node:${node.name}`;
    pairs.set(`node-${node.name}`, await keep(dir, `node-${node.name}`, ca, { commonName: user, organizations: ['system:nodes'], usage: 'client' }));
    const names = splitSANs([node.name, ...node.addresses]);
    pairs.set(`node-${node.name}-serving`, await keep(dir, `node-${node.name}-serving`, ca, { commonName: user, organizations: ['system:nodes'], ...names, usage: 'server' }));
  }
  const saKeyFile = path.join(dir, 'sa.key');
  const saPubFile = path.join(dir, 'sa.pub');
  if (!fs.existsSync(saKeyFile) || !fs.existsSync(saPubFile)) {
    const sa = createServiceAccountKeyPair();
    writeFileAtomic(saKeyFile, sa.privateKey, 0o600);
    writeFileAtomic(saPubFile, sa.publicKey, 0o644);
  }
  const tokenFile = path.join(dir, 'tokens.csv');
  const prometheusTokenFile = path.join(dir, 'prometheus.token');
  let promToken = fs.existsSync(prometheusTokenFile) ? fs.readFileSync(prometheusTokenFile, 'utf8').trim() : '';
  if (!promToken || !fs.existsSync(tokenFile)) {
    promToken = randomBytes(32).toString('base64url');
    writeFileAtomic(prometheusTokenFile, `${promToken}\n`, 0o600);
    writeFileAtomic(tokenFile, `${promToken},${PROMETHEUS_USER},${randomUUID()},"${MONITORING_GROUP}"\n`, 0o600);
  }
  const pairOf = (name: string): CertKeyPem => {
    const p = pairs.get(name);
    if (!p) throw new Error(`no certificate for ${name} in ${dir}`);
    return p;
  };
  return {
    dir,
    caFile: path.join(dir, 'ca.crt'),
    ca,
    apiserver: { certFile: path.join(dir, 'apiserver.crt'), keyFile: path.join(dir, 'apiserver.key') },
    kubeletClient: { certFile: path.join(dir, 'apiserver-kubelet-client.crt'), keyFile: path.join(dir, 'apiserver-kubelet-client.key') },
    admin,
    saKeyFile,
    saPubFile,
    tokenFile,
    prometheusTokenFile,
    client: pairOf,
    serving: (component) => pairOf(`${component}-serving`),
    kubeconfigFile: (component) => path.join(dir, `${component}.kubeconfig`),
  };
}

/** Writes the kubeconfig of each component (scheduler, controller-manager, node-<name>) for a server URL. */
export function writeComponentKubeconfigs(pki: ClusterPki, server: string, nodes: ClusterNode[]): void {
  for (const component of ['scheduler', 'controller-manager', ...nodes.map((n) => `node-${n.name}`)]) {
    const pair = pki.client(component);
    writeFileAtomic(pki.kubeconfigFile(component), kubeconfigYaml({ server, name: component, ca: pki.ca.cert, clientCert: pair.cert, clientKey: pair.key }), 0o600);
  }
}

/** The admin kubeconfig: the CA and kubernetes-admin's client certificate, embedded (kubeadm's admin.conf). */
export function adminKubeconfig(pki: ClusterPki, server: string, name = 'steer'): string {
  return kubeconfigYaml({ server, name, ca: pki.ca.cert, clientCert: pki.admin.cert, clientKey: pki.admin.key });
}

/** This machine as the single-node cluster's node: reached at any of its addresses. */
export function thisNode(name: string): ClusterNode {
  return { name, addresses: localHostNames() };
}

/** The PKI of the single-node cluster `steer up` and `steer server` run, in <state>/pki. */
export function serverPki(o: { stateDir?: string; host: string; serviceCidr?: string; nodeName: string }): Promise<ClusterPki> {
  return ensureClusterPki({ dir: clusterPaths(o.stateDir).pki, apiserverNames: [o.host], serviceCIDR: o.serviceCidr, nodes: [thisNode(o.nodeName)] });
}

/** The user a client certificate names, as the apiserver's x509 authenticator reads it (CN; O → groups). */
export function certificateUser(certPem: string): UserInfo {
  const { commonName, organizations } = certificateIdentity(certPem);
  if (!commonName) throw new Error('a component certificate without a CN');
  return { name: commonName, groups: organizations };
}
