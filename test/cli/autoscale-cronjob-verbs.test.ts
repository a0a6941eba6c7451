// steer autoscale, create cronjob and create job (from an image or --from=cronjob/NAME) against a real
// (in-memory) apiserver: the objects kubectl's generators build, its output lines and its errors; the
// container command after `--` through the real command-line parser.
import { Command } from 'commander';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2';
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import { Resources } from '../../lib/api/resources';
import { describeError } from '../../cli/errors';
import { bufferStreams } from '../../cli/io';
import { runAutoscale } from '../../cli/verbs/autoscale';
import { register as registerCreate, runCreateCronJob, runCreateDeployment, runCreateJob, splitAtDash } from '../../cli/verbs/create';
import { TestApiServer, startTestApiServer } from '../helpers/apiserver';

let api: TestApiServer;
beforeAll(async () => {
  api = await startTestApiServer();
});
afterAll(async () => api?.stop());

/** Runs a verb, catching its error as the binary prints it. */
const run = async (fn: (s: ReturnType<typeof bufferStreams>) => Promise<unknown>) => {
  const s = bufferStreams();
  try {
    await fn(s);
  } catch (err) {
    s.err(describeError(err) + '\n');
  }
  return { stdout: s.stdout, stderr: s.stderr };
};
const ns = 'default';

describe('steer autoscale', () => {
  it("builds kubectl's HorizontalPodAutoscaler for the target and prints `autoscaled`", async () => {
    await run((s) => runCreateDeployment(api.client, ['web'], { namespace: ns, images: ['busybox'] }, s));
    expect(await run((s) => runAutoscale(api.client, ['deployment/web'], { namespace: ns, min: 2, max: 5, cpuPercent: 50 }, s))).toEqual({ stdout: 'horizontalpodautoscaler.autoscaling/web autoscaled\n', stderr: '' });
    const hpa = await api.client.get<HorizontalPodAutoscaler>(Resources.horizontalpodautoscalers, ns, 'web');
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    });
    // TYPE NAME form, --name, no --min and no --cpu-percent: the server's defaults (min 1, cpu 80%).
    expect((await run((s) => runAutoscale(api.client, ['deploy', 'web'], { namespace: ns, max: 3, name: 'web-b' }, s))).stdout).toBe('horizontalpodautoscaler.autoscaling/web-b autoscaled\n');
    const b = await api.client.get<HorizontalPodAutoscaler>(Resources.horizontalpodautoscalers, ns, 'web-b');
    expect(b.spec?.minReplicas).toBe(1);
    expect(b.spec?.metrics?.[0].resource?.target.averageUtilization).toBe(80);
  });

  it("answers kubectl's errors", async () => {
    const err = async (args: string[], o: Parameters<typeof runAutoscale>[2]) => (await run((s) => runAutoscale(api.client, args, o, s))).stderr;
    expect(await err(['deployment/web'], { namespace: ns })).toBe('error: --max=MAXPODS is required and must be at least 1, max: -1\n');
    expect(await err(['deployment/web'], { namespace: ns, min: 4, max: 3 })).toBe('error: --max=MAXPODS must be larger or equal to --min=MINPODS, max: 3, min: 4\n');
    expect(await err(['deployment/nope'], { namespace: ns, max: 3 })).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
    expect(await err(['deployment/web'], { namespace: ns, max: 3 })).toBe('Error from server (AlreadyExists): horizontalpodautoscalers.autoscaling "web" already exists\n');
    await api.client.create(Resources.configmaps, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } });
    expect(await err(['configmap/cfg'], { namespace: ns, max: 3 })).toBe('error: cannot autoscale a ConfigMap\n');
  });
});

describe('steer create cronjob and create job', () => {
  it("builds kubectl's CronJob, and a Job from it owned by it", async () => {
    expect(await run((s) => runCreateCronJob(api.client, ['tick'], { namespace: ns, image: 'busybox', schedule: '*/5 * * * *', command: ['date', '-u'] }, s))).toEqual({ stdout: 'cronjob.batch/tick created\n', stderr: '' });
    const cj = await api.client.get<CronJob>(Resources.cronjobs, ns, 'tick');
    expect(cj.spec?.schedule).toBe('*/5 * * * *');
    expect(cj.spec?.jobTemplate.metadata?.name).toBe('tick');
    expect(cj.spec?.jobTemplate.spec?.template.spec).toMatchObject({ restartPolicy: 'OnFailure', containers: [{ name: 'tick', image: 'busybox', command: ['date', '-u'] }] });
    expect(await run((s) => runCreateJob(api.client, ['tick-now'], { namespace: ns, from: 'cronjob/tick', command: [] }, s))).toEqual({ stdout: 'job.batch/tick-now created\n', stderr: '' });
    const job = await api.client.get<Job>(Resources.jobs, ns, 'tick-now');
    expect(job.metadata?.annotations).toEqual({ 'cronjob.kubernetes.io/instantiate': 'manual' });
    expect(job.metadata?.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: cj.metadata?.uid, controller: true }]);
    expect(job.spec?.template.spec?.containers[0]).toMatchObject({ name: 'tick', image: 'busybox', command: ['date', '-u'] });
    // A Job from an image.
    expect((await run((s) => runCreateJob(api.client, ['once'], { namespace: ns, image: 'busybox', command: ['true'] }, s))).stdout).toBe('job.batch/once created\n');
    expect((await api.client.get<Job>(Resources.jobs, ns, 'once')).spec?.template.spec).toMatchObject({ restartPolicy: 'Never', containers: [{ name: 'once', image: 'busybox', command: ['true'] }] });
  });

  it("answers kubectl's errors", async () => {
    const cron = async (o: Partial<Parameters<typeof runCreateCronJob>[2]>) => (await run((s) => runCreateCronJob(api.client, ['c'], { namespace: ns, command: [], ...o }, s))).stderr;
    expect(await cron({ schedule: '@hourly' })).toBe('error: --image must be specified\n');
    expect(await cron({ image: 'busybox' })).toBe('error: --schedule must be specified\n');
    expect(await cron({ image: 'busybox', schedule: '@hourly', restart: 'Always' })).toBe('error: invalid restart policy: Always\n');
    expect(await cron({ image: 'busybox', schedule: 'every day' })).toMatch(/^The CronJob "c" is invalid: spec\.schedule: Invalid value: "every day"/);
    const job = async (names: string[], o: Partial<Parameters<typeof runCreateJob>[2]>) => (await run((s) => runCreateJob(api.client, names, { namespace: ns, command: [], ...o }, s))).stderr;
    expect(await job(['j'], {})).toBe('error: either --image or --from must be specified\n');
    expect(await job(['j'], { image: 'x', from: 'cronjob/tick' })).toBe('error: --image and --from are mutually exclusive\n');
    expect(await job(['j'], { from: 'cronjob/tick', command: ['date'] })).toBe('error: cannot specify --from and command\n');
    expect(await job(['j'], { from: 'deployment/web' })).toBe('error: unknown object type Deployment\n');
    expect(await job(['j'], { from: 'cronjob/nope' })).toBe('Error from server (NotFound): cronjobs.batch "nope" not found\n');
    expect(await job([], { image: 'x' })).toBe("error: exactly one NAME is required, got 0\nSee 'steer create job -h' for help and examples\n");
  });

  it('takes the container command after `--` on the command line', async () => {
    expect(splitAtDash(['n', 'sh', '-c', 'date'], ['node', 'steer', 'create', 'cronjob', 'n', '--image=x', '--', 'sh', '-c', 'date'])).toEqual({ names: ['n'], command: ['sh', '-c', 'date'] });
    expect(splitAtDash(['n', 'm'], ['create', 'cronjob', 'n', 'm'])).toEqual({ names: ['n', 'm'], command: [] });
    const program = new Command().exitOverride();
    registerCreate(program);
    await program.parseAsync(['node', 'steer', 'create', 'cronjob', 'dashed', `--server=${api.url}`, '--image=busybox', '--schedule=@daily', '--', 'echo', '-n', 'hi'], { from: 'node' });
    expect((await api.client.get<CronJob>(Resources.cronjobs, ns, 'dashed')).spec?.jobTemplate.spec?.template.spec?.containers[0].command).toEqual(['echo', '-n', 'hi']);
  });
});
