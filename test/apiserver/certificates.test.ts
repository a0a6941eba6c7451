// certificates.k8s.io/v1 on an HTTPS apiserver with client certificates, tokens and Node,RBAC, and the
// csrsigning controller signing with the cluster CA — the Kubernetes docs' "add a user" flow with the
// real kubectl 1.20 and the current kubectl: openssl makes a key and a request, `kubectl create` sends
// it (the server records who asked), `kubectl get csr` shows Pending, `kubectl certificate approve`
// approves it, the signer issues a client certificate of the asked duration, and that certificate
// authenticates as the request's subject (its CN the user, its O the groups). Around it: deny, the
// system:masters refusal, validation's 422s, approval without the signer's `approve` verb (403), a
// spec that cannot change, /status that cannot approve, a kubelet-serving request that breaks its
// signer's rules (Failed), and a custom signer's request left alone.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1';
import { startApiServer, type RunningApiServer } from '../../apiserver';
import { adminKubeconfig, ensureClusterPki, type ClusterPki } from '../../cli/cluster/pki';
import { startControllers, type RunningControllers } from '../../controllers';
import { Resources } from '../../lib/api/resources';
import { KubeClient } from '../../lib/client/client';
import { outcome } from '../helpers/identities';
import { KUBECTL_120, kubectlBinaries, kubectlRunner, type KubectlResult } from '../helpers/kubectl';
import { waitFor } from '../helpers/wait';

jest.setTimeout(120_000);

const CSRS = Resources.certificatesigningrequests;
const binaries = kubectlBinaries('').map((b) => ({ ...b, current: b.bin !== KUBECTL_120 }));

let dir: string;
let pki: ClusterPki;
let api: RunningApiServer;
let ctl: RunningControllers;
let admin: KubeClient;
let controllerManager: KubeClient;
let kubeconfig: string;

/** kubectl `bin` with the admin kubeconfig (or `config`), a HOME of its own. */
function kubectl(bin: string, args: string[], config = kubeconfig): Promise<KubectlResult> {
  const home = fs.mkdtempSync(path.join(dir, 'home-'));
  return kubectlRunner(bin, () => config, () => home, 'k')(...args);
}

/** A key and a PKCS#10 request from openssl; returns the key file and the request's base64 (spec.request). */
function opensslRequest(name: string, subj: string, san?: string): { keyFile: string; request: string } {
  const keyFile = path.join(dir, `${name}.key`);
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile], { stdio: 'pipe' });
  const args = ['req', '-new', '-key', keyFile, '-subj', subj];
  if (san) args.push('-addext', `subjectAltName=${san}`);
  const pem = execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { keyFile, request: Buffer.from(pem).toString('base64') };
}

function csr(name: string, request: string, spec: Partial<CertificateSigningRequest['spec']> = {}): CertificateSigningRequest {
  return { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name }, spec: { request, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], ...spec } };
}

const getCsr = (name: string) => admin.get<CertificateSigningRequest>(CSRS, undefined, name);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-csr-api-'));
  pki = await ensureClusterPki({ dir: path.join(dir, 'pki'), nodes: [] });
  const tokenFile = path.join(dir, 'tokens.csv');
  fs.writeFileSync(tokenFile, 'approver-token,approver,uid-approver\n', { mode: 0o600 });
  api = await startApiServer({ host: '127.0.0.1', port: 0, tlsCertFile: pki.apiserver.certFile, tlsKeyFile: pki.apiserver.keyFile, clientCAFile: pki.caFile, tokenFile, anonymousAuth: false, authorizationMode: ['Node', 'RBAC'] });
  kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, adminKubeconfig(pki, api.url), { mode: 0o600 });
  admin = KubeClient.load({ kubeconfig });
  // The signer as steer up runs it: the controller manager's identity, the cluster CA.
  const cm = pki.client('controller-manager');
  controllerManager = KubeClient.fromCredentials({ server: api.url, ca: pki.ca.cert, cert: cm.cert, key: cm.key });
  ctl = await startControllers({ client: controllerManager, controllers: ['csrsigning'], clusterSigning: { certFile: pki.caFile, keyFile: path.join(pki.dir, 'ca.key'), durationMs: 24 * 3600_000 }, leaderElect: false, log: () => undefined });
});

afterAll(async () => {
  await ctl?.stop();
  admin?.close();
  controllerManager?.close();
  await api?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(binaries)('$name: a new user through a CertificateSigningRequest', ({ bin, current }) => {
  const user = current ? 'jane-current' : 'jane-120';
  let keyFile = '';
  test('create: the server records the requestor; get csr shows Pending', async () => {
    const r = opensslRequest(user, `/O=dev/O=ops/CN=${user}`);
    keyFile = r.keyFile;
    const file = path.join(dir, `${user}.json`);
    fs.writeFileSync(file, JSON.stringify(csr(user, r.request, { expirationSeconds: 7200, username: 'someone-else', groups: ['system:masters'] })));
    const created = await kubectl(bin, ['create', '-f', file]);
    expect(created.stderr).toBe('');
    expect(created.stdout.trim()).toBe(`certificatesigningrequest.certificates.k8s.io/${user} created`);
    const stored = await getCsr(user);
    // Whatever the body said: who really asked, from the client certificate.
    expect(stored.spec).toMatchObject({ username: 'kubernetes-admin', groups: expect.arrayContaining(['system:masters', 'system:authenticated']) });
    const get = await kubectl(bin, ['get', 'csr', user]);
    expect(get.stdout).toMatch(/NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION/);
    expect(get.stdout).toMatch(new RegExp(`${user}\\s+\\S+\\s+kubernetes.io/kube-apiserver-client\\s+kubernetes-admin\\s+120m\\s+Pending`));
  });

  test('certificate approve: Approved,Issued, a client certificate of the asked duration that authenticates as the subject', async () => {
    const approve = await kubectl(bin, ['certificate', 'approve', user]);
    expect(approve.stderr).toBe('');
    expect(approve.stdout.trim()).toBe(`certificatesigningrequest.certificates.k8s.io/${user} approved`);
    await waitFor('the certificate', async () => !!(await getCsr(user)).status?.certificate, 10_000);
    const stored = await getCsr(user);
    expect(stored.status?.conditions).toEqual([
      expect.objectContaining({ type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.', lastUpdateTime: expect.any(String), lastTransitionTime: expect.any(String) }),
    ]);
    const get = await kubectl(bin, ['get', 'csr', user]);
    expect(get.stdout).toMatch(new RegExp(`${user}\\s.*Approved,Issued`));
    const describe = await kubectl(bin, ['describe', 'csr', user]);
    expect(describe.stderr).toBe('');
    expect(describe.stdout).toMatch(/Requesting User:\s+kubernetes-admin/);
    expect(describe.stdout).toMatch(/Status:\s+Approved,Issued/);
    expect(describe.stdout).toMatch(new RegExp(`Common Name:\\s+${user}`));
    const jsonpath = await kubectl(bin, ['get', 'csr', user, '-o', 'jsonpath={.status.certificate}']);
    const certPem = Buffer.from(jsonpath.stdout, 'base64').toString('utf8');
    const cert = new X509Certificate(certPem);
    expect(cert.subject).toContain(`CN=${user}`);
    expect(cert.checkIssued(new X509Certificate(pki.ca.cert))).toBe(true);
    const lifetime = Date.parse(cert.validTo) - Date.parse(cert.validFrom);
    expect(lifetime).toBe(2 * 3600_000 + 5 * 60_000); // 120 minutes, backdated 5
    const certFile = path.join(dir, `${user}.crt`);
    fs.writeFileSync(certFile, certPem);
    // As the README says: the current kubectl takes the certificate as a user of the admin's kubeconfig
    // (a copy here); Debian's kubectl 1.20 crashes writing a kubeconfig (its Go 1.19 build), so it is
    // given the files on the command line with no kubeconfig.
    let as: { args: string[]; config: string };
    if (current) {
      const config = path.join(dir, `${user}.kubeconfig`);
      fs.copyFileSync(kubeconfig, config);
      const set = await kubectl(bin, ['config', 'set-credentials', user, `--client-certificate=${certFile}`, `--client-key=${keyFile}`, '--embed-certs'], config);
      expect(set.stdout.trim()).toBe(`User "${user}" set.`);
      as = { args: ['--user', user], config };
    } else {
      as = { args: ['--server', api.url, '--certificate-authority', pki.caFile, '--client-certificate', certFile, '--client-key', keyFile], config: '/dev/null' };
    }
    const pods = await kubectl(bin, [...as.args, 'get', 'pods'], as.config);
    expect(pods.code).not.toBe(0);
    expect(pods.stderr).toContain(`User "${user}" cannot list resource "pods" in API group "" in the namespace "default"`);
    if (current) {
      const who = await kubectl(bin, [...as.args, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}'], as.config);
      expect(who.stdout).toBe(`${user} ["dev","ops","system:authenticated"]`);
    }
  });

  test('certificate deny: Denied, never issued', async () => {
    const name = `${user}-denied`;
    await admin.create(CSRS, undefined, csr(name, opensslRequest(name, `/CN=${name}`).request));
    const deny = await kubectl(bin, ['certificate', 'deny', name]);
    expect(deny.stdout.trim()).toBe(`certificatesigningrequest.certificates.k8s.io/${name} denied`);
    await new Promise((r) => setTimeout(r, 1000));
    const stored = await getCsr(name);
    expect(stored.status?.conditions?.map((c) => c.type)).toEqual(['Denied']);
    expect(stored.status?.certificate).toBeUndefined();
    expect((await kubectl(bin, ['get', 'csr', name])).stdout).toMatch(/\sDenied\n/);
  });
});

describe('what the API refuses', () => {
  test('kube-apiserver-client for system:masters: 403 (CertificateSubjectRestriction)', async () => {
    const r = await outcome(admin.create(CSRS, undefined, csr('masters', opensslRequest('masters', '/O=system:masters/CN=mallory').request)));
    expect(r).toEqual({ code: 403, message: 'certificatesigningrequests.certificates.k8s.io "masters" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed' });
  });

  test.each([
    ['a request that is not PEM', { request: Buffer.from('hello').toString('base64') }, 'spec.request: Invalid value: "<request data>": PEM block type must be CERTIFICATE REQUEST'],
    ['no usages', { usages: [] }, 'spec.usages: Required value'],
    ['an unknown usage', { usages: ['client auth', 'fly'] }, 'spec.usages[1]: Unsupported value: "fly"'],
    ['a repeated usage', { usages: ['client auth', 'client auth'] }, 'spec.usages[1]: Duplicate value: "client auth"'],
    ['no signer', { signerName: '' }, 'spec.signerName: Required value'],
    ['a signer without a domain', { signerName: 'my-signer' }, "spec.signerName: Invalid value: \"my-signer\": must be a fully qualified domain and path of the form 'example.com/signer-name'"],
    ['the legacy signer', { signerName: 'kubernetes.io/legacy-unknown' }, 'spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via this API version'],
    ['ten minutes less a second', { expirationSeconds: 599 }, 'spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)'],
  ])('%s: 422 naming the field', async (_name, spec, message) => {
    const good = opensslRequest('v', '/CN=v').request;
    const r = await outcome(admin.create(CSRS, undefined, csr('invalid', good, spec as Partial<CertificateSigningRequest['spec']>)));
    expect(r.code).toBe(422);
    expect(r.message).toContain(message);
  });

  test('approval needs `approve` on the signer, not only update on /approval (CertificateApproval)', async () => {
    const name = 'needs-approver';
    await admin.create(CSRS, undefined, csr(name, opensslRequest(name, '/CN=x').request));
    await admin.create(Resources.clusterroles, undefined, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'csr-approval-only' },
      rules: [{ apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests', 'certificatesigningrequests/approval'], verbs: ['get', 'update'] }],
    });
    const bind = (role: string) =>
      admin.create(Resources.clusterrolebindings, undefined, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: `approver-${role}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'approver' }],
      });
    await bind('csr-approval-only');
    const approver = KubeClient.fromCredentials({ server: api.url, ca: pki.ca.cert, token: 'approver-token' });
    try {
      const approve = async () => {
        const current = await approver.get<CertificateSigningRequest>(CSRS, undefined, name);
        current.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'ok' }] };
        return approver.update(CSRS, current as CertificateSigningRequest & { metadata: { name: string } }, 'approval');
      };
      expect(await outcome(approve())).toEqual({ code: 403, message: `certificatesigningrequests.certificates.k8s.io "${name}" is forbidden: user not permitted to approve requests with signerName "kubernetes.io/kube-apiserver-client"` });
      // The signer's domain wildcard grants it.
      await admin.create(Resources.clusterroles, undefined, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'approve-kubernetes-io' },
        rules: [{ apiGroups: ['certificates.k8s.io'], resources: ['signers'], resourceNames: ['kubernetes.io/*'], verbs: ['approve'] }],
      });
      await bind('approve-kubernetes-io');
      await waitFor('approved by the approver', async () => (await outcome(approve())).code === 0, 10_000);
      await waitFor('issued', async () => !!(await getCsr(name)).status?.certificate, 10_000);
    } finally {
      approver.close();
    }
  });

  test('the spec never changes; /status cannot approve; the certificate is set once, by /status only', async () => {
    const name = 'immutable';
    await admin.create(CSRS, undefined, csr(name, opensslRequest(name, '/CN=imm').request));
    const stored = await getCsr(name);
    const put = await admin.update(CSRS, { ...stored, spec: { ...stored.spec, usages: ['client auth', 'digital signature'] } } as CertificateSigningRequest & { metadata: { name: string } });
    expect((put as CertificateSigningRequest).spec.usages).toEqual(['client auth']);
    const viaStatus = await outcome(admin.update(CSRS, { ...(await getCsr(name)), status: { conditions: [{ type: 'Approved', status: 'True' }] } } as CertificateSigningRequest & { metadata: { name: string } }, 'status'));
    expect(viaStatus.code).toBe(422);
    expect(viaStatus.message).toContain('status.conditions: Forbidden: updates may not add a condition of type "Approved"');
    const bogus = await outcome(admin.update(CSRS, { ...(await getCsr(name)), status: { certificate: Buffer.from('junk').toString('base64') } } as CertificateSigningRequest & { metadata: { name: string } }, 'status'));
    expect(bogus.message).toContain('status.certificate: Invalid value: "<certificate data>": must contain at least one CERTIFICATE PEM block');
    const onApproval = await outcome(admin.update(CSRS, { ...(await getCsr(name)), status: { conditions: [{ type: 'Approved', status: 'True' }, { type: 'Denied', status: 'True' }] } } as CertificateSigningRequest & { metadata: { name: string } }, 'approval'));
    expect(onApproval.code).toBe(422);
    expect(onApproval.message).toContain('status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive');
  });

  test('kubelet-serving for a user: Failed (SignerValidationFailure); a custom signer\'s request is left to it', async () => {
    const kubelet = csr('serving', opensslRequest('serving', '/O=dev/CN=system:node:x', 'DNS:x.example').request, { signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] });
    const custom = csr('custom', opensslRequest('custom', '/CN=x').request, { signerName: 'example.com/my-signer' });
    for (const c of [kubelet, custom]) {
      await admin.create(CSRS, undefined, c);
      const stored = await getCsr(c.metadata!.name!);
      stored.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'Test' }] };
      await admin.update(CSRS, stored as CertificateSigningRequest & { metadata: { name: string } }, 'approval');
    }
    await waitFor('Failed', async () => (await getCsr('serving')).status?.conditions?.some((c) => c.type === 'Failed') ?? false, 10_000);
    const failed = (await getCsr('serving')).status!;
    expect(failed.conditions?.find((c) => c.type === 'Failed')).toMatchObject({ status: 'True', reason: 'SignerValidationFailure', message: 'subject organization is not system:nodes' });
    expect(failed.certificate).toBeUndefined();
    expect((await kubectl(KUBECTL_120, ['get', 'csr', 'serving'])).stdout).toMatch(/Approved,Failed\n/);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await getCsr('custom')).status?.certificate).toBeUndefined();
    // kube's field selector on the signer.
    const mine = await admin.list<CertificateSigningRequest>(CSRS, { fieldSelector: 'spec.signerName=example.com/my-signer' });
    expect(mine.items.map((c) => c.metadata?.name)).toEqual(['custom']);
  });

  test('the cleaner (two hours on): decided requests go, a fresh pending one stays', async () => {
    await admin.create(CSRS, undefined, csr('fresh', opensslRequest('fresh', '/CN=fresh').request));
    const before = (await admin.list<CertificateSigningRequest>(CSRS)).items.map((c) => c.metadata!.name!);
    expect(before).toEqual(expect.arrayContaining(['fresh', 'serving', 'custom', 'needs-approver']));
    const cleaner = await startControllers({ client: controllerManager, controllers: ['csrcleaner'], csrCleaner: { now: () => Date.now() + 2 * 3600_000, periodMs: 300 }, leaderElect: false, log: () => undefined });
    try {
      await waitFor('only the pending ones left', async () => (await admin.list<CertificateSigningRequest>(CSRS)).items.every((c) => !c.status?.conditions?.length), 10_000);
      const left = (await admin.list<CertificateSigningRequest>(CSRS)).items.map((c) => c.metadata!.name!);
      expect(left).toContain('fresh');
      expect(left).not.toContain('serving');
    } finally {
      await cleaner.stop();
    }
  });
});
