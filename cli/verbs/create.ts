// `steer create namespace NAME` and `steer create deployment NAME --image=IMAGE… [--replicas N]`: the
// objects kubectl 1.20's generators build (labels app=NAME, one container per image, named after the
// image), POSTed with fieldManager kubectl-create. `steer create token SA [--duration D] [--audience A]`:
// a ServiceAccount token from the TokenRequest API, printed alone, as `kubectl create token` (kubectl
// 1.24+) prints it — e.g. to log in to the web console.
import { Command } from 'commander';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Namespace } from 'kubernetes-types/core/v1';
import { ApiError, KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { action } from '../errors';
import { collect } from '../flag-values';
import { parseDuration } from '../../lib/api/duration';
import { Streams, processStreams } from '../io';
import { ClientFlags, namespaceOf, withClient, withClientOptions } from '../options';
import { qualifiedName } from '../printers';

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

/** `steer create namespace`, `steer create deployment` and `steer create token`. */
export function register(program: Command): void {
  const create = program.command('create').description('create a resource from a generator (namespace, deployment, token)');
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
}
