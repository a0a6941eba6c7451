// kubectl 1.20 (autoscaling/v1) and the current kubectl (autoscaling/v2) against steer: `autoscale`,
// `get hpa`, `create cronjob`, `create job --from=cronjob/…`, `get cronjobs`.
import { execFile } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

const repo = path.resolve(__dirname, '..', '..');
const kubectls = [['1.20', path.join(repo, 'tools', 'kubectl', 'usr', 'bin', 'kubectl')], ['current', '/usr/bin/kubectl']] as const;
let api: TestApiServer;
beforeAll(async () => {
  api = await startTestApiServer();
});
afterAll(async () => api?.stop());

const run = (bin: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) =>
    execFile(bin, [`--kubeconfig=${api.kubeconfigPath}`, `--cache-dir=${path.join(os.tmpdir(), `steer-kubectl-cache-${process.pid}`)}`, ...args], (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout: stdout + (err && !stderr ? String(err) : ''), stderr })),
  );

describe('the current kubectl (its typed create/autoscale send protobuf, which steer does not decode for these kinds)', () => {
  it('prints hpa and cronjob tables', async () => {
    const bin = kubectls[1][1];
    await api.client.create(Resources.horizontalpodautoscalers, 'default', {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'api-made' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' }, maxReplicas: 3 },
    });
    expect((await run(bin, 'get', 'hpa', 'api-made')).stdout).toMatch(/api-made\s+Deployment\/x\s+cpu: <unknown>\/80%\s+1\s+3\s+0/);
    await api.client.create(Resources.cronjobs, 'default', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'api-tick' },
      spec: { schedule: '@hourly', timeZone: 'Etc/UTC', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } },
    });
    expect((await run(bin, 'get', 'cronjobs', 'api-tick')).stdout).toMatch(/api-tick\s+@hourly\s+Etc\/UTC\s+False\s+0\s+<none>/);
  });
});

describe.each([kubectls[0]])('kubectl %s', (version: string, bin) => {
  it('autoscale, get hpa, create cronjob and a job from it', async () => {
    const d = `web-${version.replace('.', '')}`;
    const dep = await run(bin, 'create', 'deployment', d, '--image=busybox');
    expect(dep.stderr).toBe('');
    const auto = await run(bin, 'autoscale', `deployment/${d}`, '--cpu-percent=50', '--min=2', '--max=5');
    expect(auto.stderr).toBe('');
    expect(auto.stdout).toContain(`horizontalpodautoscaler.autoscaling/${d} autoscaled`);
    const stored = await api.client.get<HorizontalPodAutoscaler>(Resources.horizontalpodautoscalers, 'default', d);
    expect(stored.spec).toMatchObject({ minReplicas: 2, maxReplicas: 5, metrics: [{ resource: { name: 'cpu', target: { averageUtilization: 50 } } }] });
    const got = await run(bin, 'get', 'hpa', d);
    expect(got.stdout).toMatch(new RegExp(`${d}\\s+Deployment/${d}\\s+cpu: <unknown>/50%\\s+2\\s+5\\s+0`));
    // kubectl 1.20 writes and reads batch/v1beta1 CronJobs (served converted from the stored batch/v1).
    const cj = `tick-${version.replace('.', '')}`;
    const created = await run(bin, 'create', 'cronjob', cj, '--image=busybox', '--schedule=*/5 * * * *', '--', 'date');
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain(`cronjob.batch/${cj} created`);
    if (version === '1.20') {
      // As against kube-apiserver 1.21+ (kubernetes/kubernetes#103841): kubectl 1.20 reads the preferred
      // batch/v1, which its scheme lacks; naming the version it knows works.
      const preferred = await run(bin, 'create', 'job', `${cj}-v1`, `--from=cronjob/${cj}`);
      expect(preferred.stderr).toContain('error: from must be an existing cronjob: no kind "CronJob" is registered for version "batch/v1"');
    }
    const fromCron = await run(bin, 'create', 'job', `${cj}-now`, `--from=${version === '1.20' ? 'cronjob.v1beta1.batch' : 'cronjob'}/${cj}`);
    expect(fromCron.stderr).toBe('');
    expect(fromCron.stdout).toContain(`job.batch/${cj}-now created`);
    const list = await run(bin, 'get', 'cronjobs', cj);
    expect(list.stdout).toMatch(new RegExp(`${cj}\\s+\\*/5 \\* \\* \\* \\*\\s+<none>\\s+False\\s+0\\s+<none>`));
  }, 60_000);
});
