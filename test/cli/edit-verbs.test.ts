// steer patch, create namespace|deployment, set image and wait against a real (in-memory) apiserver;
// expected lines are what kubectl 1.20 printed for the same commands against a steer apiserver.
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { ConfigMap } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { describeError } from '../../cli/errors';
import { bufferStreams } from '../../cli/io';
import { containerNameFor, runCreateDeployment, runCreateNamespace } from '../../cli/verbs/create';
import { parsePatchType, runPatch } from '../../cli/verbs/patch';
import { runSetImage } from '../../cli/verbs/set-image';
import { parseWaitFor, runWait } from '../../cli/verbs/wait';
import { TestApiServer, startTestApiServer } from '../helpers/apiserver';

describe('patch, create, set image, wait', () => {
  let api: TestApiServer;
  beforeAll(async () => {
    api = await startTestApiServer();
  });
  afterAll(async () => {
    await api?.stop();
  });
  /** Runs a verb, catching its error as the binary prints it. */
  const run = async (fn: (s: ReturnType<typeof bufferStreams>) => Promise<unknown>) => {
    const s = bufferStreams();
    try {
      const errors = await fn(s);
      if (Array.isArray(errors) && errors.length) s.err(describeError(new Error(errors.join('\n'))) + '\n');
    } catch (err) {
      s.err(describeError(err) + '\n');
    }
    return { stdout: s.stdout, stderr: s.stderr };
  };
  const deploy = (name: string) => api.client.get<Deployment>(Resources.deployments, 'default', name);

  it('create deployment builds kubectl\'s object; create namespace; their errors', async () => {
    expect(await run((s) => runCreateDeployment(api.client, ['web'], { namespace: 'default', images: ['127.0.0.1:5000/nginx:1.22'], replicas: '2' }, s))).toEqual({ stdout: 'deployment.apps/web created\n', stderr: '' });
    const d = await deploy('web');
    expect(d.metadata?.labels).toEqual({ app: 'web' });
    expect(d.spec?.replicas).toBe(2);
    expect(d.spec?.selector.matchLabels).toEqual({ app: 'web' });
    expect(d.spec?.template.metadata?.labels).toEqual({ app: 'web' });
    expect(d.spec?.template.spec?.containers.map((c) => [c.name, c.image])).toEqual([['nginx', '127.0.0.1:5000/nginx:1.22']]);
    expect(await run((s) => runCreateDeployment(api.client, ['web'], { namespace: 'default', images: ['x'] }, s))).toEqual({ stdout: '', stderr: 'error: failed to create deployment: deployments.apps "web" already exists\n' });
    expect((await run((s) => runCreateDeployment(api.client, ['z'], { namespace: 'default', images: ['n'], replicas: '-1' }, s))).stderr).toBe('error: failed to create deployment: Deployment.apps "z" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0\n');
    expect((await run((s) => runCreateDeployment(api.client, ['y'], { namespace: 'default', images: [] }, s))).stderr).toBe('error: required flag(s) "image" not set\n');
    expect(await run((s) => runCreateNamespace(api.client, ['team'], s))).toEqual({ stdout: 'namespace/team created\n', stderr: '' });
    expect((await run((s) => runCreateNamespace(api.client, ['team'], s))).stderr).toBe('Error from server (AlreadyExists): namespaces "team" already exists\n');
    expect((await run((s) => runCreateNamespace(api.client, [], s))).stderr).toBe("error: exactly one NAME is required, got 0\nSee 'steer create namespace -h' for help and examples\n");
    // Container names: the image's base name; sanitized ones get kubectl's random suffix.
    expect(containerNameFor('reg:5000/a/b_c:1', () => 0)).toBe('b-c-bbbbb');
    expect(containerNameFor('busybox@sha256:abc')).toBe('busybox');
  });

  it('patch: strategic (default), merge and json; kubectl\'s errors', async () => {
    expect(await run((s) => runPatch(api.client, ['deploy', 'web'], { namespace: 'default', patch: '{"spec":{"replicas":3}}' }, s))).toEqual({ stdout: 'deployment.apps/web patched\n', stderr: '' });
    expect((await deploy('web')).spec?.replicas).toBe(3);
    expect((await run((s) => runPatch(api.client, ['deploy/web'], { namespace: 'default', type: 'merge', patch: 'metadata: {labels: {m: "1"}}' }, s))).stdout).toBe('deployment.apps/web patched\n');
    expect((await deploy('web')).metadata?.labels).toEqual({ app: 'web', m: '1' });
    expect((await run((s) => runPatch(api.client, ['deploy', 'web'], { namespace: 'default', type: 'json', patch: '[{"op":"replace","path":"/spec/replicas","value":1}]' }, s))).stdout).toBe('deployment.apps/web patched\n');
    expect((await deploy('web')).spec?.replicas).toBe(1);
    expect((await run((s) => runPatch(api.client, ['deploy', 'web'], { namespace: 'default', patch: 'notjson' }, s))).stderr).toBe('Error from server (BadRequest): the strategic merge patch must be a JSON object\n');
    expect((await run((s) => runPatch(api.client, ['deploy', 'web'], { namespace: 'default', type: 'json', patch: '{"a":1}' }, s))).stderr).toBe('Error from server (BadRequest): the JSON patch must be an array of operations\n');
    expect((await run((s) => runPatch(api.client, ['deploy', 'nope'], { namespace: 'default', patch: '{"a":1}' }, s))).stderr).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
    expect((await run((s) => runPatch(api.client, ['deploy', 'web'], { namespace: 'default' }, s))).stderr).toBe('error: must specify --patch or --patch-file containing the contents of the patch\n');
    expect(() => parsePatchType('foo')).toThrow('--type must be one of [json merge strategic], not "foo"');
  });

  it('set image: by container name, * for all, nothing printed when unchanged, unknown containers reported last', async () => {
    await api.client.create(Resources.deployments, 'default', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api' },
      spec: { selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'busybox', image: 'busybox:1' }] } } },
    } as Deployment);
    expect(await run((s) => runSetImage(api.client, ['deployment/web', 'nginx=nginx:2'], { namespace: 'default' }, s))).toEqual({ stdout: 'deployment.apps/web image updated\n', stderr: '' });
    expect((await deploy('web')).spec?.template.spec?.containers[0].image).toBe('nginx:2');
    expect(await run((s) => runSetImage(api.client, ['deployment/web', 'nginx=nginx:2'], { namespace: 'default' }, s))).toEqual({ stdout: '', stderr: '' });
    expect(await run((s) => runSetImage(api.client, ['deployment/web', 'foo=x'], { namespace: 'default' }, s))).toEqual({ stdout: '', stderr: 'error: unable to find container named "foo"\n' });
    expect(await run((s) => runSetImage(api.client, ['deploy', 'nginx=nginx:3'], { namespace: 'default', all: true }, s))).toEqual({ stdout: 'deployment.apps/web image updated\n', stderr: 'error: unable to find container named "nginx"\n' });
    expect((await run((s) => runSetImage(api.client, ['deployment/api', '*=busybox:2'], { namespace: 'default' }, s))).stdout).toBe('deployment.apps/api image updated\n');
    expect((await deploy('api')).spec?.template.spec?.containers[0].image).toBe('busybox:2');
    expect((await run((s) => runSetImage(api.client, ['deployment/web'], { namespace: 'default' }, s))).stderr).toBe('error: at least one image update is required\n');
  });

  it('wait --for=condition and --for=delete: met at once, met later, timed out, nothing to wait for', async () => {
    const opts = { namespace: 'default', timeoutMs: 400 };
    expect(await run((s) => runWait(api.client, ['deploy/web'], { ...opts, for: parseWaitFor('condition=Available') }, s))).toEqual({ stdout: '', stderr: 'error: timed out waiting for the condition on deployments/web\n' });
    // The condition turns true while waiting (kubectl's TYPE and VALUE are matched case-insensitively).
    const waiting = run((s) => runWait(api.client, ['deploy', 'web'], { ...opts, timeoutMs: 10_000, for: parseWaitFor('condition=available=TRUE') }, s));
    await new Promise((r) => setTimeout(r, 200));
    await api.client.patch(Resources.deployments, 'default', 'web', { status: { conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'ok' }] } }, 'merge', 'status');
    expect(await waiting).toEqual({ stdout: 'deployment.apps/web condition met\n', stderr: '' });
    expect((await run((s) => runWait(api.client, ['deploy/web'], { ...opts, for: parseWaitFor('condition=Available=false') }, s))).stderr).toBe('error: timed out waiting for the condition on deployments/web\n');
    expect(await run((s) => runWait(api.client, ['deploy'], { ...opts, all: true, for: parseWaitFor('condition=Available') }, s))).toEqual({
      stdout: 'deployment.apps/web condition met\n',
      stderr: 'error: timed out waiting for the condition on deployments/api\n',
    });

    await api.client.create<ConfigMap>(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1' } });
    const deleting = run((s) => runWait(api.client, ['cm/c1'], { ...opts, timeoutMs: 10_000, for: parseWaitFor('delete') }, s));
    await new Promise((r) => setTimeout(r, 200));
    await api.client.delete(Resources.configmaps, 'default', 'c1');
    expect(await deleting).toEqual({ stdout: 'configmap/c1 condition met\n', stderr: '' });
    expect((await run((s) => runWait(api.client, ['cm/c1'], { ...opts, for: parseWaitFor('delete') }, s))).stderr).toBe('error: no matching resources found\n');
    expect((await run((s) => runWait(api.client, ['deploy/nope'], { ...opts, for: parseWaitFor('condition=Available') }, s))).stderr).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
    expect(() => parseWaitFor('foo')).toThrow('unrecognized condition: "foo"');
    expect(() => parseWaitFor(undefined)).toThrow('unrecognized condition: ""');
  });
});
