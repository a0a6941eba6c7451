// The cluster PKI layout: every identity kubeadm makes (CN/O), the apiserver's names, file modes, reuse
// on a second run and reissue of what no longer fits, the kubeconfigs of the components and the admin.
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { readKubeconfigCredentials } from '../../lib/client/kubeconfig';
import { certificateIdentity } from '../../lib/component/pki';
import { adminKubeconfig, certificateUser, ensureClusterPki, PROMETHEUS_USER, writeComponentKubeconfigs } from './pki';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-cluster-pki-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const cert = (base: string) => new X509Certificate(fs.readFileSync(path.join(dir, `${base}.crt`)));
const mode = (f: string) => fs.statSync(path.join(dir, f)).mode & 0o777;

describe('ensureClusterPki', () => {
  it("makes kubeadm's identities, the apiserver's names and 0600 keys", async () => {
    const nodes = [{ name: 'node-1', addresses: ['172.28.0.21'] }];
    const pki = await ensureClusterPki({ dir, apiserverNames: ['172.28.0.10'], serviceCIDR: '10.96.0.0/12', nodes });
    const ids = Object.fromEntries(
      ['apiserver-kubelet-client', 'admin', 'scheduler', 'controller-manager', 'node-node-1'].map((b) => [b, certificateIdentity(cert(b))]),
    );
    expect(ids).toEqual({
      'apiserver-kubelet-client': { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'] },
      admin: { commonName: 'kubernetes-admin', organizations: ['system:masters'] },
      scheduler: { commonName: 'system:kube-scheduler', organizations: [] },
      'controller-manager': { commonName: 'system:kube-controller-manager', organizations: [] },
      'node-node-1': { commonName: 'system:node:node-1', organizations: ['system:nodes'] },
    });
    const api = cert('apiserver');
    for (const ip of ['10.96.0.1', '127.0.0.1', '172.28.0.10']) expect(api.checkIP(ip)).toBe(ip);
    for (const name of ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost', os.hostname().toLowerCase()]) {
      expect(api.checkHost(name)).toBe(name);
    }
    expect(cert('node-node-1-serving').checkIP('172.28.0.21')).toBe('172.28.0.21');
    expect(cert('node-node-1-serving').checkHost('node-1')).toBe('node-1');
    for (const b of ['apiserver', 'admin', 'node-node-1-serving', 'scheduler-serving']) expect(cert(b).checkIssued(cert('ca'))).toBe(true);
    for (const f of ['ca.key', 'apiserver.key', 'admin.key', 'sa.key', 'tokens.csv', 'prometheus.token']) expect(mode(f)).toBe(0o600);
    for (const f of ['ca.crt', 'apiserver.crt', 'sa.pub']) expect(mode(f)).toBe(0o644);
    const token = fs.readFileSync(pki.prometheusTokenFile, 'utf8').trim();
    expect(fs.readFileSync(pki.tokenFile, 'utf8')).toMatch(new RegExp(`^${token},${PROMETHEUS_USER},[-0-9a-f]{36},"system:monitoring"\\n$`));
  });

  it('reuses everything on a second run; reissues only the serving certificate that misses a new address', async () => {
    const nodes = [{ name: 'n', addresses: ['10.0.0.5'] }];
    await ensureClusterPki({ dir, nodes });
    const before = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
    await ensureClusterPki({ dir, nodes });
    expect(Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]))).toEqual(before);
    await ensureClusterPki({ dir, nodes: [{ name: 'n', addresses: ['10.0.0.5', '10.0.0.6'] }] });
    const changed = fs.readdirSync(dir).filter((f) => fs.readFileSync(path.join(dir, f), 'utf8') !== before[f]);
    expect(changed.sort()).toEqual(['node-n-serving.crt', 'node-n-serving.key']);
  });

  it('writes kubeconfigs with the CA and each identity, readable by steer and client-node alike', async () => {
    const nodes = [{ name: 'n', addresses: [] }];
    const pki = await ensureClusterPki({ dir, nodes });
    writeComponentKubeconfigs(pki, 'https://10.1.1.1:6443', nodes);
    const sched = readKubeconfigCredentials(pki.kubeconfigFile('scheduler'));
    expect(sched.server).toBe('https://10.1.1.1:6443');
    expect(sched.ca).toBe(pki.ca.cert);
    expect(certificateIdentity(sched.cert!).commonName).toBe('system:kube-scheduler');
    expect(certificateIdentity(readKubeconfigCredentials(pki.kubeconfigFile('node-n')).cert!).commonName).toBe('system:node:n');
    expect(mode('scheduler.kubeconfig')).toBe(0o600);
    const admin = yaml.load(adminKubeconfig(pki, 'https://127.0.0.1:6443')) as { clusters: Array<{ cluster: Record<string, unknown> }>; users: Array<{ user: Record<string, unknown> }> };
    expect(Object.keys(admin.clusters[0].cluster).sort()).toEqual(['certificate-authority-data', 'server']);
    expect(Object.keys(admin.users[0].user).sort()).toEqual(['client-certificate-data', 'client-key-data']);
  });
});

test("certificateUser: the user and groups a client certificate names (the local socket's tokens run as them)", async () => {
  const nodes = [{ name: 'n1', addresses: ['10.0.0.5'] }];
  const pki = await ensureClusterPki({ dir, nodes });
  writeComponentKubeconfigs(pki, 'https://10.1.1.1:6443', nodes);
  expect(certificateUser(pki.admin.cert)).toEqual({ name: 'kubernetes-admin', groups: ['system:masters'] });
  const node = readKubeconfigCredentials(path.join(dir, 'node-n1.kubeconfig'));
  expect(certificateUser(node.cert!)).toEqual({ name: 'system:node:n1', groups: ['system:nodes'] });
  const sched = readKubeconfigCredentials(path.join(dir, 'scheduler.kubeconfig'));
  expect(certificateUser(sched.cert!)).toEqual({ name: 'system:kube-scheduler', groups: [] });
});
