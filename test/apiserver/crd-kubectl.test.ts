// CRDs and the published OpenAPI with the real kubectls (1.20 and the current one): apply a CRD and a
// custom resource (client-side validation against /openapi/v2), get by short name and category with
// the printer columns, scale through the scale subresource, explain built-in and custom fields.
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

const ROOT = path.join(__dirname, '..', '..');
const KUBECTL_120 = path.join(ROOT, 'tools', 'kubectl', 'usr', 'bin', 'kubectl');
const CRD = path.join(ROOT, 'test', 'fixtures', 'crontab-crd.yaml');

function runs(bin: string): boolean {
  if (!fs.existsSync(bin)) return false;
  return spawnSync(bin, ['version', '--client'], { timeout: 20_000, env: { ...process.env, HOME: os.tmpdir() } }).status === 0;
}
const binaries: Array<{ name: string; bin: string }> = [{ name: 'kubectl 1.20', bin: KUBECTL_120 }];
if (runs('/usr/bin/kubectl')) binaries.push({ name: 'current kubectl', bin: '/usr/bin/kubectl' });

const crontab = (name: string, replicas: number) => `apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: ${name}
spec:
  cronSpec: "*/5 * * * *"
  image: busybox
  replicas: ${replicas}
`;

describe.each(binaries)('$name with CRDs and OpenAPI', ({ bin }) => {
  let api: TestApiServer;
  let home: string;
  const kubectl = (args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = execFile(bin, ['--kubeconfig', api.kubeconfigPath, ...args], { env: { ...process.env, HOME: home }, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      if (input !== undefined) child.stdin!.end(input);
    });
  beforeAll(async () => {
    api = await startTestApiServer();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-crd-kubectl-'));
  });
  afterAll(async () => {
    await api.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('apply a CRD and a custom resource (validated against the OpenAPI), get by short name and category', async () => {
    const crd = await kubectl(['apply', '-f', CRD]);
    expect(crd.stderr).toBe('');
    expect(crd.stdout).toBe('customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created\n');
    const cr = await kubectl(['apply', '-f', '-'], crontab('nightly', 2));
    expect(cr.stderr).toBe('');
    expect(cr.stdout).toBe('crontab.stable.example.com/nightly created\n');
    const get = await kubectl(['get', 'ct']);
    expect(get.stdout.split('\n')[0].split(/\s+/)).toEqual(['NAME', 'SPEC', 'REPLICAS', 'AGE']);
    expect(get.stdout).toMatch(/^nightly\s+\*\/5 \* \* \* \*\s+2\s+\d+s$/m);
    const all = await kubectl(['get', 'all']);
    expect(all.stdout).toContain('crontab.stable.example.com/nightly');
    // A deployment is validated against the published schema: an unknown field is refused by kubectl 1.20's
    // client-side validation or the server's strict field validation.
    const bad = await kubectl(['apply', '-f', '-'], 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 1\n  bogusField: 1\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: i}]}\n');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/bogusField/);
  });

  test('scale a custom resource through its scale subresource', async () => {
    const scaled = await kubectl(['scale', 'crontab/nightly', '--replicas=5']);
    expect(scaled.stderr).toBe('');
    expect(scaled.stdout).toBe('crontab.stable.example.com/nightly scaled\n');
    const got = await kubectl(['get', 'ct', 'nightly', '-o', 'jsonpath={.spec.replicas}']);
    expect(got.stdout).toBe('5');
  });

  test('explain a built-in field and a CRD field', async () => {
    const strategy = await kubectl(['explain', 'deployment.spec.strategy']);
    expect(strategy.stderr).toBe('');
    expect(strategy.stdout).toMatch(/KIND:\s+Deployment/);
    expect(strategy.stdout).toMatch(/rollingUpdate/);
    expect(strategy.stdout).toMatch(/Type of deployment\. Can be "Recreate" or "RollingUpdate"/);
    const field = await kubectl(['explain', 'crontab.spec.replicas']);
    expect(field.stderr).toBe('');
    expect(field.stdout).toMatch(/KIND:\s+CronTab/);
    expect(field.stdout).toMatch(/How many copies run at once\./);
    const root = await kubectl(['explain', 'ct']);
    expect(root.stdout).toMatch(/CronTab runs an image on a schedule\./);
  });
});
