// The real kubectl 1.20 and the current kubectl (/usr/bin/kubectl, when it runs here) with the admin
// kubeconfig `steer up` writes (the CA and kubernetes-admin's client certificate, embedded) against an
// apiserver on HTTPS that authenticates client certificates and refuses anonymous requests: they list,
// apply and read; a kubeconfig with a wrong token instead gets kube-apiserver's 401 message; the
// current kubectl's `auth whoami` (SelfSubjectReview) names the certificate's user and groups.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startApiServer, type RunningApiServer } from '../../apiserver';
import { kubeconfigYaml } from '../../lib/client/kubeconfig';
import { adminKubeconfig, ensureClusterPki, type ClusterPki } from '../../cli/cluster/pki';

jest.setTimeout(120_000);

const ROOT = path.join(__dirname, '..', '..');
const KUBECTL_120 = path.join(ROOT, 'tools', 'kubectl', 'usr', 'bin', 'kubectl');

function runs(bin: string): boolean {
  if (!fs.existsSync(bin)) return false;
  return spawnSync(bin, ['version', '--client'], { timeout: 20_000, env: { ...process.env, HOME: os.tmpdir() } }).status === 0;
}

const binaries: Array<{ name: string; bin: string; current: boolean }> = [{ name: 'kubectl 1.20', bin: KUBECTL_120, current: false }];
if (runs('/usr/bin/kubectl')) binaries.push({ name: '/usr/bin/kubectl', bin: '/usr/bin/kubectl', current: true });

let dir: string;
let pki: ClusterPki;
let api: RunningApiServer;
let kubeconfig: string;

/**
 * kubectl with a fresh HOME (no cached discovery) and the given kubeconfig; never rejects. Its stdin is
 * closed: with no credentials kubectl would otherwise wait there for a user name.
 */
function kubectl(bin: string, args: string[], config = kubeconfig): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = fs.mkdtempSync(path.join(dir, 'home-'));
  return new Promise((resolve) => {
    const child = spawn(bin, ['--kubeconfig', config, ...args], { env: { ...process.env, HOME: home, KUBECONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-kubectl-tls-'));
  pki = await ensureClusterPki({ dir: path.join(dir, 'pki'), nodes: [] });
  api = await startApiServer({ host: '127.0.0.1', port: 0, tlsCertFile: pki.apiserver.certFile, tlsKeyFile: pki.apiserver.keyFile, clientCAFile: pki.caFile, anonymousAuth: false });
  kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, adminKubeconfig(pki, api.url), { mode: 0o600 });
});

afterAll(async () => {
  await api?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('kubectl 1.20 is installed (scripts/install-deps.sh unpacks it)', () => {
  expect(fs.existsSync(KUBECTL_120)).toBe(true);
});

describe.each(binaries)('$name with the admin kubeconfig', ({ bin, current }) => {
  it('lists, creates and reads over HTTPS with the client certificate', async () => {
    const ns = await kubectl(bin, ['get', 'namespaces']);
    expect(ns.stderr).toBe('');
    expect(ns.stdout).toMatch(/^NAME\s+STATUS\s+AGE\ndefault\s+Active/);
    const name = current ? 'cm-current' : 'cm-120';
    const manifest = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(manifest, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: b\n`);
    const created = await kubectl(bin, ['apply', '-f', manifest]);
    expect(created.stdout).toBe(`configmap/${name} created\n`);
    const got = await kubectl(bin, ['get', 'configmap', name, '-o', 'jsonpath={.data.a}']);
    expect(got.stdout).toBe('b');
  });

  it('with a wrong token instead of the client certificate: Unauthorized', async () => {
    // (With no credential at all kubectl would ask for a user name on its terminal.)
    const anonymous = path.join(dir, `wrong-${current ? 'current' : '120'}`);
    fs.writeFileSync(anonymous, kubeconfigYaml({ server: api.url, ca: pki.ca.cert, token: 'not-a-token' }));
    const r = await kubectl(bin, ['get', 'pods'], anonymous);
    expect(r.code).not.toBe(0);
    // What each prints for kube-apiserver's 401 (1.20: the Status reason; newer: the HTTP meaning).
    expect(r.stderr).toContain(current ? 'error: You must be logged in to the server (the server has asked for the client to provide credentials)' : 'error: You must be logged in to the server (Unauthorized)');
  });

  if (current) {
    it('auth whoami names the certificate: kubernetes-admin in system:masters', async () => {
      const r = await kubectl(bin, ['auth', 'whoami', '-o', 'json']);
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toMatchObject({
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
        status: { userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] } },
      });
      const table = await kubectl(bin, ['auth', 'whoami']);
      expect(table.stdout).toMatch(/^ATTRIBUTE\s+VALUE\nUsername\s+kubernetes-admin\nGroups\s+\[system:masters system:authenticated\]\n$/);
    });
  }
});
