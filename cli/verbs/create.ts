// `steer create namespace NAME`, `steer create deployment NAME --image=IMAGE… [--replicas N]`,
// `steer create cronjob NAME --image=IMAGE --schedule=CRON [--restart=OnFailure|Never] [-- COMMAND…]` and
// `steer create job NAME (--image=IMAGE [-- COMMAND…] | --from=cronjob/NAME)`: the objects kubectl's
// generators build (labels app=NAME, one container per image, named after the image; a CronJob's or
// Job's one container named after the object; a Job from a CronJob: its job template, the
// cronjob.kubernetes.io/instantiate=manual annotation and the CronJob as controller owner), POSTed with
// fieldManager kubectl-create. `steer create token SA [--duration D] [--audience A]`: a ServiceAccount
// token from the TokenRequest API, printed alone, as `kubectl create token` (kubectl 1.24+) prints it —
// e.g. to log in to the web console.
import { Command } from 'commander';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import type { Namespace } from 'kubernetes-types/core/v1';
import { ApiError, KubeClient } from '../../lib/client/client';
import { Resources, resourcePath } from '../../lib/api/resources';
import { action } from '../errors';
import { collect } from '../flag-values';
import { parseDuration } from '../../lib/api/duration';
import { Streams, processStreams } from '../io';
import { ClientFlags, namespaceOf, withClient, withClientOptions } from '../options';
import { qualifiedName } from '../printers';
import { oneObject, resolveResource } from '../resource-args';

/** kubectl's utilrand alphabet (no vowels, no look-alikes). */
const randAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** A container name from an image, as kubectl create deployment derives it: reg/a/b_c:1 → b-c-xxxxx. */
export function containerNameFor(image: string, random: () => number = Math.random): string {
  let name = image.slice(image.lastIndexOf('/') + 1);
  if (name.includes(':')) name = name.split(':')[0];
  if (name.includes('@')) name = name.split('@')[0];
  if (/[_.]/.test(name)) {
    // Sanitized names get a random suffix, so two images of one name stay distinct.
    const suffix = Array.from({ length: 5 }, () => randAlphabet[Math.floor(random() * randAlphabet.length)]).join('');
    name = `${name.replace(/[_.]/g, '-')}-${suffix}`;
  }
  return name;
}

export function deploymentFor(name: string, images: string[], replicas: number): Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: { ...labels } },
      template: { metadata: { labels: { ...labels } }, spec: { containers: images.map((image) => ({ name: containerNameFor(image), image, resources: {} })) } },
      strategy: {},
    },
  };
}

function exactlyOneName(names: string[], what: string): string {
  if (names.length !== 1) throw new Error(`exactly one NAME is required, got ${names.length}\nSee 'steer create ${what} -h' for help and examples`);
  return names[0];
}

export async function runCreateNamespace(client: KubeClient, names: string[], streams: Streams): Promise<void> {
  const name = exactlyOneName(names, 'namespace');
  const ns: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
  await client.request('POST', '/api/v1/namespaces', { body: ns, query: { fieldManager: 'kubectl-create' } });
  streams.out(`${qualifiedName(Resources.namespaces, name)} created\n`);
}

export interface CreateDeploymentOptions {
  namespace: string;
  images: string[];
  replicas?: string;
}

export async function runCreateDeployment(client: KubeClient, names: string[], o: CreateDeploymentOptions, streams: Streams): Promise<void> {
  const name = exactlyOneName(names, 'deployment');
  if (o.images.length === 0) throw new Error('required flag(s) "image" not set');
  const replicas = o.replicas === undefined ? 1 : Number(o.replicas);
  if (!/^-?\d+$/.test(o.replicas ?? '1')) throw new Error(`invalid argument "${o.replicas}" for "--replicas" flag: strconv.ParseInt: parsing "${o.replicas}": invalid syntax`);
  try {
    await client.request('POST', `/apis/apps/v1/namespaces/${encodeURIComponent(o.namespace)}/deployments`, {
      body: deploymentFor(name, o.images, replicas),
      query: { fieldManager: 'kubectl-create' },
    });
  } catch (err) {
    // kubectl reports any failure of this generator as one line with the server's message.
    if (err instanceof ApiError) throw new Error(`failed to create deployment: ${err.status.message || err.message}`);
    throw err;
  }
  streams.out(`${qualifiedName(Resources.deployments, name)} created\n`);
}

export interface CreateTokenOptions {
  namespace: string;
  /** Go duration ("1h", "30m"); absent or 0: the server's default (1 h). */
  duration?: string;
  audiences: string[];
}

/** POSTs a TokenRequest for the ServiceAccount and prints the token, as `kubectl create token`. */
export async function runCreateToken(client: KubeClient, names: string[], o: CreateTokenOptions, streams: Streams): Promise<void> {
  const name = exactlyOneName(names, 'token');
  let expirationSeconds: number | undefined;
  if (o.duration !== undefined && o.duration !== '0' && o.duration !== '0s') {
    // kubectl takes whole seconds only.
    const ms = parseDuration(o.duration, 's');
    if (ms <= 0) throw new Error('--duration must be greater than or equal to 0');
    if (ms % 1000 !== 0) throw new Error('--duration must be an even multiple of seconds');
    expirationSeconds = ms / 1000;
  }
  const body = {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { audiences: o.audiences.length ? o.audiences : undefined, expirationSeconds },
  };
  const answer = await client.request<{ status?: { token?: string } }>(
    'POST',
    `/api/v1/namespaces/${encodeURIComponent(o.namespace)}/serviceaccounts/${encodeURIComponent(name)}/token`,
    { body },
  );
  if (!answer.status?.token) throw new Error('no token in the server\'s answer');
  streams.out(`${answer.status.token}\n`);
}

export interface CreateCronJobOptions {
  namespace: string;
  image?: string;
  schedule?: string;
  restart?: string;
  command: string[];
}

export function cronJobFor(name: string, o: CreateCronJobOptions): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name },
    spec: {
      schedule: o.schedule!,
      jobTemplate: {
        metadata: { name },
        spec: {
          template: {
            spec: {
              containers: [{ name, image: o.image!, ...(o.command.length ? { command: o.command } : {}), resources: {} }],
              restartPolicy: o.restart || 'OnFailure',
            },
          },
        },
      },
    },
  };
}

export async function runCreateCronJob(client: KubeClient, names: string[], o: CreateCronJobOptions, streams: Streams): Promise<void> {
  const name = exactlyOneName(names, 'cronjob');
  if (!o.image) throw new Error('--image must be specified');
  if (!o.schedule) throw new Error('--schedule must be specified');
  const restart = o.restart || 'OnFailure';
  if (restart !== 'OnFailure' && restart !== 'Never') throw new Error(`invalid restart policy: ${restart}`);
  await client.request('POST', resourcePath(Resources.cronjobs, { namespace: o.namespace }), { body: cronJobFor(name, { ...o, restart }), query: { fieldManager: 'kubectl-create' } });
  streams.out(`${qualifiedName(Resources.cronjobs, name)} created
`);
}

export interface CreateJobOptions {
  namespace: string;
  image?: string;
  /** `cronjob/NAME` (or `cronjob NAME`'s slash form): the CronJob whose template the Job copies. */
  from?: string;
  command: string[];
}

/** The Job `kubectl create job --from=cronjob/X` makes: the job template, annotated as a manual run, owned by the CronJob. */
export function jobFromCronJob(name: string, cronJob: CronJob): Job {
  const template = cronJob.spec!.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      annotations: { 'cronjob.kubernetes.io/instantiate': 'manual', ...(template.metadata?.annotations ?? {}) },
      ...(template.metadata?.labels ? { labels: template.metadata.labels } : {}),
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob.metadata!.name!, uid: cronJob.metadata!.uid!, controller: true }],
    },
    spec: template.spec,
  };
}

export function jobFor(name: string, image: string, command: string[]): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { template: { spec: { containers: [{ name, image, ...(command.length ? { command } : {}), resources: {} }], restartPolicy: 'Never' } } },
  };
}

export async function runCreateJob(client: KubeClient, names: string[], o: CreateJobOptions, streams: Streams): Promise<void> {
  const name = exactlyOneName(names, 'job');
  if (!o.image && !o.from) throw new Error('either --image or --from must be specified');
  if (o.image && o.from) throw new Error('--image and --from are mutually exclusive');
  if (o.from && o.command.length) throw new Error('cannot specify --from and command');
  let job: Job;
  if (o.from) {
    const ref = oneObject([o.from]);
    const rt = resolveResource(ref.kind);
    if (rt !== Resources.cronjobs) throw new Error(`unknown object type ${rt.kind}`);
    const cronJob = await client.get<CronJob>(Resources.cronjobs, o.namespace, ref.name);
    job = jobFromCronJob(name, cronJob);
  } else job = jobFor(name, o.image!, o.command);
  await client.request('POST', resourcePath(Resources.jobs, { namespace: o.namespace }), { body: job, query: { fieldManager: 'kubectl-create' } });
  streams.out(`${qualifiedName(Resources.jobs, name)} created
`);
}

/**
 * Splits a generator's operands at `--` as kubectl does: the NAME before it, the container command after.
 * Commander drops the `--` itself, so where it stood is read from the raw arguments.
 */
export function splitAtDash(operands: string[], rawArgs: string[]): { names: string[]; command: string[] } {
  const dash = rawArgs.indexOf('--');
  if (dash < 0) return { names: operands, command: [] };
  const after = rawArgs.length - dash - 1;
  return { names: operands.slice(0, operands.length - after), command: operands.slice(operands.length - after) };
}

/** `steer create namespace|deployment|cronjob|job|token`. */
export function register(program: Command): void {
  const create = program.command('create').description('create a resource from a generator (namespace, deployment, cronjob, job, token)');
  withClientOptions(create.command('namespace').alias('ns').argument('[name...]').description('create a namespace')).action(
    action(async (names: string[], o: ClientFlags) => {
      await withClient(o, (client) => runCreateNamespace(client, names, processStreams));
    }),
  );
  withClientOptions(
    create
      .command('deployment')
      .alias('deploy')
      .argument('[name...]')
      .description('create a deployment running the given images')
      .option('--image <image>', 'a container image (repeatable: one container each)', collect, [] as string[])
      .option('-r, --replicas <n>', 'number of replicas', '1'),
  ).action(
    action(async (names: string[], o: ClientFlags & { image: string[]; replicas: string }) => {
      await withClient(o, (client) => runCreateDeployment(client, names, { namespace: namespaceOf(client, o), images: o.image, replicas: o.replicas }, processStreams));
    }),
  );
  withClientOptions(
    create
      .command('token')
      .argument('[serviceaccount...]')
      .description('request a ServiceAccount token (TokenRequest) and print it')
      .option('--duration <d>', 'requested lifetime, e.g. 1h or 24h (the server may return another; default: the server\'s, 1h)')
      .option('--audience <aud>', 'an audience of the token (repeatable; default: the API\'s)', collect, [] as string[]),
  ).action(
    action(async (names: string[], o: ClientFlags & { duration?: string; audience: string[] }) => {
      await withClient(o, (client) => runCreateToken(client, names, { namespace: namespaceOf(client, o), duration: o.duration, audiences: o.audience }, processStreams));
    }),
  );
  withClientOptions(
    create
      .command('cronjob')
      .alias('cj')
      .argument('[name...]', 'NAME [-- COMMAND [args...]]')
      .description('create a cronjob running an image on a schedule')
      .option('--image <image>', 'the container image (required)')
      .option('--schedule <cron>', 'the schedule in cron format, e.g. "*/1 * * * *" (required)')
      .option('--restart <policy>', 'the job\'s restart policy: OnFailure or Never', 'OnFailure'),
  ).action(
    action(async (operands: string[], o: ClientFlags & { image?: string; schedule?: string; restart: string }, cmd: Command) => {
      const { names, command } = splitAtDash(operands, rawArgsOf(cmd));
      await withClient(o, (client) => runCreateCronJob(client, names, { namespace: namespaceOf(client, o), image: o.image, schedule: o.schedule, restart: o.restart, command }, processStreams));
    }),
  );
  withClientOptions(
    create
      .command('job')
      .argument('[name...]', 'NAME [-- COMMAND [args...]]')
      .description('create a job running an image, or a run of a cronjob now (--from=cronjob/NAME)')
      .option('--image <image>', 'the container image')
      .option('--from <resource>', 'the cronjob to run now, as cronjob/NAME'),
  ).action(
    action(async (operands: string[], o: ClientFlags & { image?: string; from?: string }, cmd: Command) => {
      const { names, command } = splitAtDash(operands, rawArgsOf(cmd));
      await withClient(o, (client) => runCreateJob(client, names, { namespace: namespaceOf(client, o), image: o.image, from: o.from, command }, processStreams));
    }),
  );
}

/** The arguments the whole program was given (commander keeps them on the root command). */
function rawArgsOf(cmd: Command): string[] {
  let root = cmd;
  while (root.parent) root = root.parent;
  return (root as Command & { rawArgs?: string[] }).rawArgs ?? process.argv;
}
