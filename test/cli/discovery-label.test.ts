// steer api-resources / api-versions (from the apiserver's discovery) and steer label / annotate, against
// a real (in-memory) apiserver; expected lines are what kubectl 1.20 printed against the same server.
import type { Deployment } from 'kubernetes-types/apps/v1';
import { Resources } from '../../lib/api/resources';
import { describeError } from '../../cli/errors';
import { bufferStreams } from '../../cli/io';
import { ApiResourcesOptions, runApiResources, runApiVersions } from '../../cli/verbs/discovery';
import { MetadataField, MetadataOptions, runMetadataEdit, splitMetadataArgs } from '../../cli/verbs/label';
import { TestApiServer, startTestApiServer } from '../helpers/apiserver';

describe('api-resources and api-versions', () => {
  let api: TestApiServer;
  beforeAll(async () => {
    api = await startTestApiServer();
  });
  afterAll(async () => {
    await api?.stop();
  });
  const resources = async (o: ApiResourcesOptions) => {
    const s = bufferStreams();
    await runApiResources(api.client, o, s);
    return s.stdout;
  };

  it('prints NAME SHORTNAMES APIVERSION NAMESPACED KIND, core group first, then by group and name', async () => {
    const lines = (await resources({})).split('\n');
    const header = lines[0];
    expect(header).toMatch(/^NAME +SHORTNAMES +APIVERSION +NAMESPACED +KIND$/);
    // Columns line up at the header's offsets (kubectl's tab writer).
    const at = (h: string) => header.indexOf(h);
    const row = (name: string) => lines.find((l) => l.startsWith(name + ' '))!;
    const deploy = row('deployments');
    expect([deploy.slice(0, at('SHORTNAMES')).trim(), deploy.slice(at('SHORTNAMES'), at('APIVERSION')).trim(), deploy.slice(at('APIVERSION'), at('NAMESPACED')).trim(), deploy.slice(at('NAMESPACED'), at('KIND')).trim(), deploy.slice(at('KIND'))]).toEqual(['deployments', 'deploy', 'apps/v1', 'true', 'Deployment']);
    expect(row('namespaces').slice(at('NAMESPACED')).replace(/ +/g, ' ')).toBe('false Namespace');
    expect(row('bindings').slice(at('SHORTNAMES'), at('APIVERSION')).trim()).toBe('');
    // No subresources; the core group's rows come first, sorted by name.
    expect(lines.some((l) => l.includes('/status'))).toBe(false);
    const rows = lines.slice(1, -1);
    const names = rows.map((l) => l.split(' ')[0]);
    const firstGroup = rows.findIndex((l) => l.slice(at('APIVERSION'), at('NAMESPACED')).includes('/'));
    expect(names.slice(0, 4)).toEqual(['bindings', 'componentstatuses', 'configmaps', 'endpoints']);
    expect(names.slice(0, firstGroup)).toEqual([...names.slice(0, firstGroup)].sort());
  });

  it('-o wide adds VERBS, -o name prints name.group, filters by --namespaced and --api-group', async () => {
    expect((await resources({ output: 'wide' })).split('\n').find((l) => l.startsWith('configmaps'))).toMatch(/ConfigMap +\[create delete deletecollection get list patch update watch\]$/);
    const names = (await resources({ output: 'name' })).split('\n');
    expect(names).toContain('deployments.apps');
    expect(names).toContain('pods');
    expect(names).toContain('leases.coordination.k8s.io');
    expect(await resources({ namespaced: false, apiGroup: '' })).toBe(
      'NAME                SHORTNAMES   APIVERSION   NAMESPACED   KIND\ncomponentstatuses   cs           v1           false        ComponentStatus\nnamespaces          ns           v1           false        Namespace\nnodes               no           v1           false        Node\npersistentvolumes   pv           v1           false        PersistentVolume\n',
    );
    const apps = await resources({ apiGroup: 'apps', noHeaders: true });
    expect(apps.split('\n').filter((l) => /^(daemonsets|deployments|replicasets) /.test(l)).map((l) => l.replace(/ +/g, ' '))).toEqual([
      'daemonsets ds apps/v1 true DaemonSet',
      'deployments deploy apps/v1 true Deployment',
      'replicasets rs apps/v1 true ReplicaSet',
    ]);
    expect((await resources({ sortBy: 'kind', output: 'name' })).split('\n')[0]).toBe('bindings');
    await expect(resources({ output: 'json' })).rejects.toThrow('--output json is not available');
    await expect(resources({ sortBy: 'age' })).rejects.toThrow('--sort-by accepts only name or kind');
  });

  it('api-versions lists every group version, sorted', async () => {
    const s = bufferStreams();
    await runApiVersions(api.client, s);
    const versions = s.stdout.trimEnd().split('\n');
    expect(versions).toEqual([...versions].sort());
    expect(versions).toEqual(expect.arrayContaining(['apps/v1', 'coordination.k8s.io/v1', 'v1']));
  });
});

describe('label and annotate', () => {
  let api: TestApiServer;
  beforeAll(async () => {
    api = await startTestApiServer();
    for (const [name, labels] of [['web', { app: 'web', tier: 'front' }], ['api', { app: 'api' }]] as const) {
      const d: Deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, labels: { ...labels } },
        spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
      };
      await api.client.create(Resources.deployments, 'default', d);
    }
  });
  afterAll(async () => {
    await api?.stop();
  });
  const edit = async (field: MetadataField, args: string[], o: Partial<MetadataOptions> = {}) => {
    const s = bufferStreams();
    try {
      await runMetadataEdit(api.client, field, args, { namespace: 'default', ...o }, s);
    } catch (err) {
      s.err(describeError(err) + '\n');
    }
    return { stdout: s.stdout, stderr: s.stderr };
  };
  const live = async (name: string) => (await api.client.get<Deployment>(Resources.deployments, 'default', name)).metadata!;

  it('sets and removes labels; an existing key needs --overwrite; no change says "not labeled"', async () => {
    expect(await edit('labels', ['deploy', 'web', 'tier=back'])).toEqual({ stdout: '', stderr: "error: 'tier' already has a value (front), and --overwrite is false\n" });
    expect(await edit('labels', ['deploy', 'web', 'tier=back'], { overwrite: true })).toEqual({ stdout: 'deployment.apps/web labeled\n', stderr: '' });
    expect((await live('web')).labels).toEqual({ app: 'web', tier: 'back' });
    expect(await edit('labels', ['deploy', 'web', 'tier=back'], { overwrite: true })).toEqual({ stdout: 'deployment.apps/web not labeled\n', stderr: '' });
    expect(await edit('labels', ['deploy/web', 'tier-'])).toEqual({ stdout: 'deployment.apps/web labeled\n', stderr: '' });
    expect((await live('web')).labels).toEqual({ app: 'web' });
    expect(await edit('labels', ['deploy', 'web', 'tier-'])).toEqual({ stdout: 'label "tier" not found.\ndeployment.apps/web not labeled\n', stderr: '' });
  });

  it('--all and -l label every matching object; names with -l are refused', async () => {
    expect(await edit('labels', ['deploy', 'x=1'], { all: true })).toEqual({ stdout: 'deployment.apps/api labeled\ndeployment.apps/web labeled\n', stderr: '' });
    expect(await edit('labels', ['deploy', 'y=2'], { selector: 'app=web' })).toEqual({ stdout: 'deployment.apps/web labeled\n', stderr: '' });
    expect((await live('web')).labels).toEqual({ app: 'web', x: '1', y: '2' });
    expect((await live('api')).labels).toEqual({ app: 'api', x: '1' });
    expect((await edit('labels', ['deploy', 'web', 'a=1'], { selector: 'app=web' })).stderr).toBe('error: name cannot be provided when a selector is specified\n');
    expect((await edit('labels', ['deploy', 'a=1'])).stderr).toBe('error: resource(s) were provided, but no name, label selector, or --all flag specified\n');
    expect((await edit('labels', ['deploy', 'nope', 'a=1'])).stderr).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
  });

  it('argument errors read like kubectl\'s; an invalid key is the server\'s 422, printed as kubectl does', async () => {
    expect(() => splitMetadataArgs(['deploy', 'web'], 'labels')).toThrow('at least one label update is required');
    expect(() => splitMetadataArgs(['deploy', 'web'], 'annotations')).toThrow('at least one annotation update is required');
    expect(() => splitMetadataArgs(['deploy', 'web', 'a=b=c'], 'labels')).toThrow('invalid label spec: a=b=c');
    expect(() => splitMetadataArgs(['deploy', 'web', 'a=1', 'a-'], 'labels')).toThrow('can not both modify and remove a label in the same command');
    expect(() => splitMetadataArgs(['deploy', 'web', 'v=bad value!'], 'labels')).toThrow('invalid label value: "v=bad value!": a valid label must be an empty string');
    expect(splitMetadataArgs(['deploy', 'web', 'note=a c'], 'annotations').update.set).toEqual([['note', 'a c']]);
    const bad = await edit('labels', ['deploy', 'web', 'bad key=1']);
    expect(bad.stderr).toMatch(/^The Deployment "web" is invalid: metadata.labels: Invalid value: "bad key": name part must consist of alphanumeric characters/);
  });

  it('annotate: any value, --overwrite rule, removal', async () => {
    expect(await edit('annotations', ['deploy', 'web', 'note=hello world'])).toEqual({ stdout: 'deployment.apps/web annotated\n', stderr: '' });
    expect((await live('web')).annotations).toEqual({ note: 'hello world' });
    expect((await edit('annotations', ['deploy', 'web', 'note=x'])).stderr).toBe("error: --overwrite is false but found the following declared annotation(s): 'note' already has a value (hello world)\n");
    expect(await edit('annotations', ['deploy', 'web', 'note=x'], { overwrite: true })).toEqual({ stdout: 'deployment.apps/web annotated\n', stderr: '' });
    expect(await edit('annotations', ['deploy', 'web', 'note-'])).toEqual({ stdout: 'deployment.apps/web annotated\n', stderr: '' });
    expect((await live('web')).annotations ?? {}).toEqual({});
  });
});
