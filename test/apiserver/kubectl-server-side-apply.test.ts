// Server-side apply with the real kubectls: `apply --server-side` (create, conflict with another manager,
// --force-conflicts), the upgrade of an object applied client-side, and `kubectl diff` (client- and
// server-side, current kubectl; kubectl 1.20's diff needs dry-run in the OpenAPI document).
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

const ROOT = path.join(__dirname, '..', '..');
const KUBECTL_120 = path.join(ROOT, 'tools', 'kubectl', 'usr', 'bin', 'kubectl');
const current = spawnSync('/usr/bin/kubectl', ['version', '--client'], { timeout: 20_000, env: { ...process.env, HOME: os.tmpdir() } }).status === 0;

const manifest = (name: string, replicas: number, image = 'nginx:1.25') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: web
        image: ${image}
`;

type Deployment = { spec: { replicas: number; selector: unknown; template: { spec: { containers: Array<{ image: string }> } } }; metadata: { managedFields?: Array<{ manager: string; operation: string }> } };

let srv: TestApiServer;
let home: string;
beforeAll(async () => {
  srv = await startTestApiServer();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-ssa-'));
});
afterAll(async () => {
  await srv?.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

const binaries = [{ name: 'kubectl 1.20', bin: KUBECTL_120, tag: 'a' }, ...(current ? [{ name: '/usr/bin/kubectl', bin: '/usr/bin/kubectl', tag: 'b' }] : [])];

describe.each(binaries)('$name', ({ bin, tag }) => {
  const kubectl = (stdin: string | undefined, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = execFile(bin, ['--kubeconfig', srv.kubeconfigPath, '--cache-dir', path.join(home, tag), ...args], { env: { ...process.env, HOME: path.join(home, tag) }, timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
      child.stdin?.end(stdin ?? '');
    });
  const get = (name: string) => srv.client.get<Deployment>(Resources.deployments, 'default', name);
  const managers = async (name: string) => (await get(name)).metadata.managedFields?.map((e) => `${e.manager}/${e.operation}`);

  test('apply --server-side creates, a second manager conflicts, --force-conflicts takes the field', async () => {
    const name = `ssa-${tag}`;
    expect(await kubectl(manifest(name, 2), 'apply', '--server-side', '-f', '-')).toMatchObject({ code: 0, stdout: `deployment.apps/${name} serverside-applied\n` });
    expect(await managers(name)).toEqual(['kubectl/Apply']);
    const conflict = await kubectl(manifest(name, 5), 'apply', '--server-side', '--field-manager=other', '-f', '-');
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
    // The same value is shared, not a conflict.
    expect((await kubectl(manifest(name, 2), 'apply', '--server-side', '--field-manager=other', '-f', '-')).code).toBe(0);
    expect(await managers(name)).toEqual(['kubectl/Apply', 'other/Apply']);
    expect((await kubectl(manifest(name, 5), 'apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', '-')).code).toBe(0);
    expect((await get(name)).spec.replicas).toBe(5);
    const conflictBack = await kubectl(manifest(name, 2), 'apply', '--server-side', '-f', '-');
    expect(conflictBack.stderr).toContain('conflict with "other": .spec.replicas');
  });

  test('kubectl scale is an Update by "kubectl" that a later apply conflicts with', async () => {
    const name = `scale-${tag}`;
    await kubectl(manifest(name, 1), 'apply', '--server-side', '-f', '-');
    expect((await kubectl(undefined, 'scale', `deployment/${name}`, '--replicas=3')).code).toBe(0);
    const r = await kubectl(manifest(name, 1, 'nginx:1.26'), 'apply', '--server-side', '-f', '-');
    expect(r.stderr).toMatch(/conflict with "kubectl(-scale)?"( with subresource "scale")? using apps\/v1(: | at .*)?.*\.spec\.replicas/s);
  });
});

(current ? describe : describe.skip)('current kubectl: client-side to server-side, and diff', () => {
  const kubectl = (stdin: string | undefined, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = execFile('/usr/bin/kubectl', ['--kubeconfig', srv.kubeconfigPath, '--cache-dir', path.join(home, 'c'), ...args], { env: { ...process.env, HOME: path.join(home, 'c') }, timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
      child.stdin?.end(stdin ?? '');
    });

  test('apply --server-side over a client-side applied object takes it over without conflict', async () => {
    expect((await kubectl(manifest('csa', 2), 'apply', '-f', '-')).code).toBe(0);
    const r = await kubectl(manifest('csa', 4), 'apply', '--server-side', '-f', '-');
    expect(r).toMatchObject({ code: 0, stdout: 'deployment.apps/csa serverside-applied\n' });
    expect(r.stderr).not.toContain('failed to re-apply');
    const d = await srv.client.get<Deployment>(Resources.deployments, 'default', 'csa');
    expect(d.spec.replicas).toBe(4);
    expect(d.spec.selector).toEqual({ matchLabels: { app: 'csa' } });
    expect(d.metadata.managedFields?.map((e) => e.manager)).not.toContain('kubectl-client-side-apply');
  });

  test('diff (client-side and --server-side) shows the change and stores nothing', async () => {
    await kubectl(manifest('dif', 2), 'apply', '--server-side', '-f', '-');
    for (const extra of [[], ['--server-side']]) {
      const r = await kubectl(manifest('dif', 6), 'diff', ...extra, '-f', '-');
      expect(r.code).toBe(1); // 1: differences found
      expect(r.stdout).toMatch(/^-  replicas: 2$/m);
      expect(r.stdout).toMatch(/^\+  replicas: 6$/m);
    }
    expect((await srv.client.get<Deployment>(Resources.deployments, 'default', 'dif')).spec.replicas).toBe(2);
    expect((await kubectl(manifest('dif', 2), 'diff', '--server-side', '-f', '-')).code).toBe(0);
  });
});
