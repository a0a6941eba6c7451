// The real kubectl (1.20, and the current /usr/bin/kubectl when it runs here) against an RBAC apiserver:
// `auth can-i` (SelfSubjectAccessReview) and `auth can-i --list` (SelfSubjectRulesReview), Forbidden
// errors as kubectl prints them, `create rolebinding`, and the RBAC tables of `get`.
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeKubeconfig } from '../../lib/client/kubeconfig';
import { Resources } from '../../lib/api/resources';
import { bufferStreams } from '../../cli/io';
import { runCanIList } from '../../cli/verbs/auth';
import { type SecuredApiServer, startSecuredApiServer } from '../helpers/identities';

const ROOT = path.join(__dirname, '..', '..');
const KUBECTL_120 = path.join(ROOT, 'tools', 'kubectl', 'usr', 'bin', 'kubectl');
// kubectl sends bearer tokens over TLS only.
const FIXTURES = path.join(__dirname, 'fixtures');

function runs(bin: string): boolean {
  if (!fs.existsSync(bin)) return false;
  const r = spawnSync(bin, ['version', '--client'], { timeout: 20_000, env: { ...process.env, HOME: os.tmpdir() } });
  return r.status === 0;
}

const binaries: Array<{ name: string; bin: string }> = [];
if (fs.existsSync(KUBECTL_120)) binaries.push({ name: 'kubectl 1.20', bin: KUBECTL_120 });
if (runs('/usr/bin/kubectl')) binaries.push({ name: '/usr/bin/kubectl', bin: '/usr/bin/kubectl' });

test('kubectl 1.20 is installed (scripts/install-deps.sh unpacks it)', () => {
  expect(fs.existsSync(KUBECTL_120)).toBe(true);
});

describe.each(binaries)('$name with RBAC', ({ bin }) => {
  let srv: SecuredApiServer;
  let home: string;
  const configs: Record<string, string> = {};

  beforeAll(async () => {
    srv = await startSecuredApiServer(
      { admin: { user: 'admin', groups: ['system:masters'] }, viewer: { user: 'viewer' }, bob: { user: 'bob' }, lead: { user: 'lead' } },
      { tlsCertFile: path.join(FIXTURES, 'tls.crt'), tlsKeyFile: path.join(FIXTURES, 'tls.key') },
    );
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-kubectl-rbac-'));
    for (const user of ['admin', 'viewer', 'bob', 'lead']) {
      configs[user] = path.join(home, `${user}.kubeconfig`);
      writeKubeconfig(configs[user], { server: srv.url, token: user });
    }
    await srv.client.create(Resources.rolebindings, 'default', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'viewer-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'viewer' }],
    });
  });
  afterAll(async () => {
    await srv.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const kubectl = (user: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      // A cache directory per user: discovery is cached per server, and users see different answers.
      const env = { ...process.env, HOME: path.join(home, user), KUBECONFIG: configs[user] };
      execFile(bin, ['--kubeconfig', configs[user], '--cache-dir', path.join(home, user, 'cache'), ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });

  test('auth can-i answers yes and no, with the exit status', async () => {
    expect(await kubectl('viewer', 'auth', 'can-i', 'list', 'pods')).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await kubectl('viewer', 'auth', 'can-i', 'create', 'pods')).toMatchObject({ code: 1, stdout: 'no\n' });
    expect(await kubectl('viewer', 'auth', 'can-i', 'get', 'pods', '--subresource=log')).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await kubectl('viewer', 'auth', 'can-i', 'get', 'secrets')).toMatchObject({ code: 1, stdout: 'no\n' });
    expect(await kubectl('viewer', 'auth', 'can-i', 'list', 'pods', '-n', 'kube-system')).toMatchObject({ code: 1, stdout: 'no\n' });
    expect(await kubectl('viewer', 'auth', 'can-i', 'list', 'deployments.apps')).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await kubectl('admin', 'auth', 'can-i', '*', '*')).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await kubectl('viewer', 'auth', 'can-i', 'get', '/metrics')).toMatchObject({ code: 1, stdout: 'no\n' });
    expect(await kubectl('viewer', 'auth', 'can-i', 'get', '/version')).toMatchObject({ code: 0, stdout: 'yes\n' });
  });

  test('auth can-i --list prints the caller\'s rules in the namespace', async () => {
    const r = await kubectl('viewer', 'auth', 'can-i', '--list');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs\s*$/);
    expect(r.stdout).toMatch(/\npods\s+\[\]\s+\[\]\s+\[get list watch\]/);
    expect(r.stdout).toMatch(/\ndeployments\.apps\s+\[\]\s+\[\]\s+\[get list watch\]/);
    expect(r.stdout).toMatch(/selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/);
    expect(r.stdout).toMatch(/\[\/version\]\s+\[\]\s+\[get\]/);
    expect(r.stdout).not.toMatch(/\nsecrets\s/);
    // steer auth can-i --list prints the same.
    const steer = bufferStreams();
    await runCanIList(srv.as('viewer'), 'default', {}, steer);
    expect(steer.stdout).toBe(r.stdout);
    // Elsewhere only the cluster-wide rules.
    const other = await kubectl('viewer', 'auth', 'can-i', '--list', '-n', 'kube-system');
    expect(other.stdout).not.toMatch(/\npods\s/);
  });

  test('a Forbidden answer reads as kubectl prints it', async () => {
    const r = await kubectl('viewer', 'get', 'secrets');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error from server (Forbidden): secrets is forbidden: User "viewer" cannot list resource "secrets" in API group "" in the namespace "default"');
    expect((await kubectl('viewer', 'get', 'pods')).code).toBe(0);
  });

  test('create rolebinding and the RBAC tables', async () => {
    expect(await kubectl('admin', 'create', 'rolebinding', 'bob-edit', '--clusterrole=edit', '--user=bob', '--group=devs', '--serviceaccount=default:ci')).toMatchObject({
      code: 0,
      stdout: 'rolebinding.rbac.authorization.k8s.io/bob-edit created\n',
    });
    expect(await kubectl('bob', 'auth', 'can-i', 'create', 'deployments')).toMatchObject({ code: 0, stdout: 'yes\n' });
    const wide = await kubectl('admin', 'get', 'rolebindings', '-o', 'wide');
    expect(wide.stdout).toMatch(/^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\n/);
    expect(wide.stdout).toMatch(/\nbob-edit\s+ClusterRole\/edit\s+\d+s\s+bob\s+devs\s+default\/ci\n/);
    const roles = await kubectl('admin', 'get', 'clusterroles', 'view', 'cluster-admin');
    expect(roles.stdout).toMatch(/^NAME\s+CREATED AT\nview\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\ncluster-admin\s+\d{4}-/);
    expect((await kubectl('admin', 'get', 'clusterrolebinding', 'cluster-admin')).stdout).toMatch(/^NAME\s+ROLE\s+AGE\ncluster-admin\s+ClusterRole\/cluster-admin\s+\d+s\n$/);
    const described = await kubectl('admin', 'describe', 'rolebinding', 'bob-edit');
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/Role:\n\s+Kind:\s+ClusterRole\n\s+Name:\s+edit\n/);
    expect(described.stdout).toMatch(/User\s+bob\s/);
    const view = await kubectl('admin', 'describe', 'clusterrole', 'view');
    expect(view.stdout).toMatch(/PolicyRule:\n\s+Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs\n/);
    expect(view.stdout).toMatch(/\n\s+pods\s+\[\]\s+\[\]\s+\[get list watch\]\n/);
    // A namespace admin may bind roles, but only what they hold.
    expect((await kubectl('admin', 'create', 'rolebinding', 'lead-admin', '--clusterrole=admin', '--user=lead')).code).toBe(0);
    expect((await kubectl('lead', 'create', 'rolebinding', 'bob-view', '--clusterrole=view', '--user=bob')).code).toBe(0);
    const refused = await kubectl('lead', 'create', 'rolebinding', 'grab', '--clusterrole=cluster-admin', '--user=lead');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'rolebindings.rbac.authorization.k8s.io "grab" is forbidden: user "lead" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}',
    );
  });
});
