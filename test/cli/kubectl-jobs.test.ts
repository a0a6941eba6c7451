// The real kubectl 1.20 (tools/kubectl, unpacked by scripts/install-deps.sh) with Jobs on a steer
// apiserver, the Job controller, the scheduler and a hollow node: `kubectl create job`, `get jobs`
// (server-side table, -o wide), `wait --for=condition=complete`, `apply -f manifests/job.yaml`, the
// apiserver's validation message, and `delete job`; a Job with a podFailurePolicy through kubectl 1.20
// and the current kubectl.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { RunningControllers, startControllers } from '../../controllers/manager';
import { LABEL_POD_UID } from '../../node-agent/labels';
import { HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { startScheduler } from '../../scheduler/start';
import { TestApiServer, startTestApiServer } from '../helpers/apiserver';
import { waitFor } from '../helpers/wait';

const repo = path.join(__dirname, '..', '..');
const kubectlBin = path.join(repo, 'tools', 'kubectl', 'usr', 'bin', 'kubectl');

jest.setTimeout(120_000);

describe('kubectl 1.20 with Jobs', () => {
  let api: TestApiServer;
  let nodes: HollowNodes;
  let scheduler: { stop(): Promise<void> };
  let controllers: RunningControllers;
  let dir: string;
  const kubectl = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => kubectlOf(kubectlBin, ...args);
  const kubectlOf = (bin: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(bin, [`--kubeconfig=${api.kubeconfigPath}`, `--cache-dir=${path.join(dir, 'cache')}`, ...args], { env: { ...process.env, HOME: dir } }, (err, stdout, stderr) =>
        resolve({ code: err ? 1 : 0, stdout: String(stdout), stderr: String(stderr) }),
      );
    });

  /** Makes every running container of the Job's pods exit with the code (hollow node runtime). */
  async function exitPods(jobName: string, exitCode: number): Promise<number> {
    const pods = (await api.client.list<Pod>(Resources.pods, { namespace: 'default', labelSelector: `job-name=${jobName}` })).items;
    let n = 0;
    for (const p of pods) {
      const runtime = p.spec?.nodeName ? nodes.runtimes.get(p.spec.nodeName) : undefined;
      for (const c of (await runtime?.listContainers()) ?? []) {
        if (c.labels[LABEL_POD_UID] === p.metadata?.uid && c.state === 'CONTAINER_RUNNING') {
          runtime?.crash(c.id, exitCode);
          n++;
        }
      }
    }
    return n;
  }

  beforeAll(async () => {
    expect(fs.existsSync(kubectlBin)).toBe(true);
    api = await startTestApiServer();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-kubectl-jobs-'));
    nodes = await startHollowNodes({ client: api.client, count: 1, namePrefix: 'kjob-node-', relistIntervalMs: 200, port: false });
    scheduler = await startScheduler({ client: api.client });
    controllers = await startControllers({ client: api.client, controllers: ['job', 'garbage-collector'], log: () => undefined });
  }, 60_000);
  afterAll(async () => {
    await controllers?.stop();
    await scheduler?.stop();
    await nodes?.stop();
    await api?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('create job, get jobs, wait --for=condition=complete, get -o wide, delete', async () => {
    const created = await kubectl('create', 'job', 'pi', '--image=127.0.0.1:5000/busybox:1.35', '--', 'sh', '-c', 'echo 3.14');
    expect(created.stderr).toBe('');
    expect(created.stdout).toBe('job.batch/pi created\n');

    const running = await kubectl('get', 'jobs');
    expect(running.stderr).toBe('');
    const [header, row] = running.stdout.trimEnd().split('\n');
    expect(header.split(/\s+/)).toEqual(['NAME', 'COMPLETIONS', 'DURATION', 'AGE']);
    expect(row).toMatch(/^pi\s+0\/1\s+(\d+s)?\s+\d+s$/);

    await waitFor('the pi pod running', async () => (await exitPods('pi', 0)) === 1, 30_000);
    const waited = await kubectl('wait', '--for=condition=complete', 'job/pi', '--timeout=60s');
    expect(waited.stderr).toBe('');
    expect(waited.stdout).toBe('job.batch/pi condition met\n');

    const wide = await kubectl('get', 'job', 'pi', '-o', 'wide');
    const [wideHeader, wideRow] = wide.stdout.trimEnd().split('\n');
    expect(wideHeader.split(/\s+/)).toEqual(['NAME', 'COMPLETIONS', 'DURATION', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(wideRow).toMatch(/^pi\s+1\/1\s+\d+s\s+\d+s\s+pi\s+127\.0\.0\.1:5000\/busybox:1\.35\s+batch\.kubernetes\.io\/controller-uid=[0-9a-f-]{36}$/);

    const pods = await kubectl('get', 'pods', '-l', 'job-name=pi');
    expect(pods.stdout).toMatch(/\npi-[a-z0-9]{5}\s+0\/1\s+Completed\s+0\s+\d+s\n$/);

    expect((await kubectl('delete', 'job', 'pi')).stdout).toBe('job.batch "pi" deleted\n');
    await waitFor(
      'pi pods garbage-collected',
      async () => (await api.client.list<Pod>(Resources.pods, { namespace: 'default', labelSelector: 'job-name=pi' })).items.length === 0,
      30_000,
    );
  });

  it('apply -f manifests/job.yaml runs 3 completions 2 at a time; a Job with restartPolicy Always is refused', async () => {
    const applied = await kubectl('apply', '-f', path.join(repo, 'manifests', 'job.yaml'));
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toBe('job.batch/countdown created\n');
    expect((await kubectl('apply', '-f', path.join(repo, 'manifests', 'job.yaml'))).stdout).toBe('job.batch/countdown unchanged\n');
    let finished = 0;
    await waitFor(
      'countdown Complete',
      async () => {
        finished += await exitPods('countdown', 0);
        const j = await api.client.get<Job>(Resources.jobs, 'default', 'countdown');
        return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');
      },
      60_000,
      200,
    );
    expect(finished).toBe(3);
    const got = await kubectl('get', 'jobs', 'countdown', '--no-headers');
    expect(got.stdout).toMatch(/^countdown\s+3\/3\s+\d+s\s+\d+s\n$/);

    const bad = path.join(dir, 'always.yaml');
    fs.writeFileSync(
      bad,
      'apiVersion: batch/v1\nkind: Job\nmetadata: {name: always}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: busybox}]\n',
    );
    const refused = await kubectl('apply', '-f', bad);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('The Job "always" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"');
  });

  it.each([
    ['1.20', kubectlBin],
    ['current', '/usr/bin/kubectl'],
  ])('kubectl %s: apply a Job with a podFailurePolicy; exit code 42 fails it (wait --for=condition=failed, reason PodFailurePolicy)', async (version, bin) => {
    const name = `policy-${version.replace('.', '')}`;
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(
      file,
      [
        'apiVersion: batch/v1',
        'kind: Job',
        `metadata: {name: ${name}}`,
        'spec:',
        '  backoffLimit: 6',
        '  podFailurePolicy:',
        '    rules:',
        '    - {action: FailJob, onExitCodes: {containerName: main, operator: In, values: [42]}}',
        '    - {action: Ignore, onPodConditions: [{type: DisruptionTarget}]}',
        '  template:',
        '    spec:',
        '      restartPolicy: Never',
        '      containers: [{name: main, image: 127.0.0.1:5000/busybox:1.35, command: [sh, -c, "exit 42"]}]',
        '',
      ].join('\n'),
    );
    const applied = await kubectlOf(bin, 'apply', '-f', file);
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toBe(`job.batch/${name} created\n`);
    await waitFor('the pod running', async () => (await exitPods(name, 42)) > 0, 30_000, 100);
    const waited = await kubectlOf(bin, 'wait', '--for=condition=failed', `job/${name}`, '--timeout=30s');
    expect(waited.stdout).toBe(`job.batch/${name} condition met\n`);
    const reason = await kubectlOf(bin, 'get', 'job', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Failed")].reason}');
    expect(reason.stdout).toBe('PodFailurePolicy');
    const rules = await kubectlOf(bin, 'get', 'job', name, '-o', 'jsonpath={.spec.podFailurePolicy.rules[1].onPodConditions[0].status}');
    expect(rules.stdout).toBe('True');
  });
});
