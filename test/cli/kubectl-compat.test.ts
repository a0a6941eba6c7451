// steer apply and the real kubectl 1.20 (tools/kubectl, unpacked by scripts/install-deps.sh) take
// turns on the same objects against a steer apiserver: each sees the other's last-applied annotation
// as its own (byte-identical), and fields removed from the file are removed whoever applies.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Deployment } from 'kubernetes-types/apps/v1';
import { Resources } from '../../lib/api/resources';
import { bufferStreams } from '../../cli/io';
import { loadManifests } from '../../cli/manifests';
import { runApply } from '../../cli/verbs/apply';
import { TestApiServer, startTestApiServer } from '../helpers/apiserver';

const kubectlBin = path.join(__dirname, '..', '..', 'tools', 'kubectl', 'usr', 'bin', 'kubectl');
const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

const v1 = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: front}
  annotations: {note: "a <b> & c"}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: 127.0.0.1:5000/nginx:1.22
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
        ports: [{containerPort: 80}]
      - name: side
        image: 127.0.0.1:5000/busybox:1.35
        command: [sleep, "3600"]
`;
// tier label, env B and the side container removed; replicas changed.
const v2 = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
  annotations: {note: "a <b> & c"}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: 127.0.0.1:5000/nginx:1.22
        env: [{name: A, value: "1"}]
        ports: [{containerPort: 80}]
`;

describe('steer apply and kubectl apply interchangeably', () => {
  let api: TestApiServer;
  let dir: string;
  const kubectl = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(kubectlBin, [`--kubeconfig=${api.kubeconfigPath}`, `--cache-dir=${path.join(dir, 'cache')}`, ...args], { env: { ...process.env, HOME: dir } }, (err, stdout, stderr) =>
        resolve({ code: err ? 1 : 0, stdout: String(stdout), stderr: String(stderr) }),
      );
    });
  const file = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const steerApply = async (f: string) => {
    const s = bufferStreams();
    await runApply(api.client, loadManifests([f], false), 'default', false, s);
    return s;
  };
  const live = () => api.client.get<Deployment>(Resources.deployments, 'default', 'web');

  beforeAll(async () => {
    expect(fs.existsSync(kubectlBin)).toBe(true);
    api = await startTestApiServer();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-kubectl-compat-'));
  });
  afterAll(async () => {
    await api?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl creates, steer sees it unchanged; the annotations are byte-identical', async () => {
    const f1 = file('v1.yaml', v1);
    const k = await kubectl('apply', '-f', f1);
    expect(k.stderr).toBe('');
    expect(k.stdout).toBe('deployment.apps/web created\n');
    const byKubectl = (await live()).metadata?.annotations?.[lastApplied];
    expect((await steerApply(f1)).stdout).toBe('deployment.apps/web unchanged\n');

    // The same file applied by steer on a fresh object writes exactly kubectl's annotation.
    await api.client.delete(Resources.deployments, 'default', 'web');
    expect((await steerApply(f1)).stdout).toBe('deployment.apps/web created\n');
    expect((await live()).metadata?.annotations?.[lastApplied]).toBe(byKubectl);
    expect((await kubectl('apply', '-f', f1)).stdout).toBe('deployment.apps/web unchanged\n');
  });

  it('steer removes what the file dropped after kubectl applied it, and the other way round', async () => {
    const f1 = file('v1.yaml', v1);
    const f2 = file('v2.yaml', v2);
    expect((await steerApply(f2)).stdout).toBe('deployment.apps/web configured\n');
    let d = await live();
    expect(d.spec?.replicas).toBe(3);
    expect(d.metadata?.labels).toEqual({ app: 'web' });
    expect(d.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['web']);
    expect(d.spec?.template.spec?.containers[0].env).toEqual([{ name: 'A', value: '1' }]);
    expect((await kubectl('apply', '-f', f2)).stdout).toBe('deployment.apps/web unchanged\n');

    // kubectl goes back to v1 (adds them again), then steer to v2 removes them again.
    expect((await kubectl('apply', '-f', f1)).stdout).toBe('deployment.apps/web configured\n');
    d = await live();
    expect(d.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['web', 'side']);
    expect(d.metadata?.labels?.tier).toBe('front');
    expect((await steerApply(f2)).stdout).toBe('deployment.apps/web configured\n');
    d = await live();
    expect(d.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['web']);
    expect(d.metadata?.labels?.tier).toBeUndefined();
  });
});
