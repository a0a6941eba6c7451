// The client verbs against a real (in-memory) steer apiserver: apply's created/configured/unchanged and
// field removal, get's Tables and -o formats, scale, delete, cordon, errors.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Node } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { JsonMap } from '../../cli/client-side-apply/three-way';
import { bufferStreams } from '../../cli/io';
import { loadManifests, parseManifests } from '../../cli/manifests';
import { parseResourceArgs } from '../../cli/resource-args';
import { runApply } from '../../cli/verbs/apply';
import { runDelete } from '../../cli/verbs/delete';
import { runGet } from '../../cli/verbs/get';
import { runCordon } from '../../cli/verbs/nodes';
import { runScale } from '../../cli/verbs/rollout';
import { TestApiServer, startTestApiServer } from '../helpers/apiserver';

const nginxYaml = path.join(__dirname, '..', '..', 'manifests', 'nginx.yaml');

describe('client verbs against the apiserver', () => {
  let api: TestApiServer;
  beforeAll(async () => {
    api = await startTestApiServer();
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('apply: created, unchanged, configured, and removes fields dropped from the file', async () => {
    const s1 = bufferStreams();
    expect(await runApply(api.client, loadManifests([nginxYaml], false), 'default', false, s1)).toBe(true);
    expect(s1.stdout).toBe('deployment.apps/nginx created\nservice/nginx created\n');

    const s2 = bufferStreams();
    await runApply(api.client, loadManifests([nginxYaml], false), 'default', false, s2);
    expect(s2.stdout).toBe('deployment.apps/nginx unchanged\nservice/nginx unchanged\n');

    // Change replicas and drop the Deployment's label: configured, label removed, replicas 2.
    const text = fs.readFileSync(nginxYaml, 'utf8');
    const docs = parseManifests(text, 'nginx.yaml');
    const deploy = JSON.parse(JSON.stringify(docs[0].object)) as JsonMap;
    (deploy.spec as JsonMap).replicas = 2;
    delete (deploy.metadata as JsonMap).labels;
    const s3 = bufferStreams();
    await runApply(api.client, [{ source: 'x', object: deploy }], 'default', false, s3);
    expect(s3.stdout).toBe('deployment.apps/nginx configured\n');
    const live = await api.client.get<Deployment>(Resources.deployments, 'default', 'nginx');
    expect(live.spec?.replicas).toBe(2);
    expect(live.metadata?.labels?.app).toBeUndefined();
    expect(live.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain('"replicas":2');
  });

  it('apply: an unknown kind and a namespace mismatch are errors on stderr', async () => {
    const s = bufferStreams();
    const ok = await runApply(
      api.client,
      [
        { source: 'a.yaml', object: { apiVersion: 'v9', kind: 'Nope', metadata: { name: 'x' } } },
        { source: 'b.yaml', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'other' } } },
      ],
      'default',
      true,
      s,
    );
    expect(ok).toBe(false);
    expect(s.stderr).toContain('no matches for kind "Nope" in version "v9"');
    expect(s.stderr).toContain('does not match the namespace "default"');
  });

  it('get: prints the server Table, -o name, -o json, and NotFound like kubectl', async () => {
    const s = bufferStreams();
    await runGet(api.client, parseResourceArgs(['deployments']), { namespace: 'default' }, s);
    const lines = s.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
    expect(lines[1]).toMatch(/^nginx\s+/);

    const n = bufferStreams();
    await runGet(api.client, parseResourceArgs(['deploy,svc']), { namespace: 'default', output: 'name' }, n);
    // The default namespace holds the apiserver's own `kubernetes` Service, as in every Kubernetes cluster.
    expect(n.stdout).toBe('deployment.apps/nginx\nservice/kubernetes\nservice/nginx\n');

    const j = bufferStreams();
    await runGet(api.client, parseResourceArgs(['deployment/nginx']), { namespace: 'default', output: 'json' }, j);
    expect(JSON.parse(j.stdout).kind).toBe('Deployment');

    const e = bufferStreams();
    expect(await runGet(api.client, parseResourceArgs(['deployment', 'nope']), { namespace: 'default' }, e)).toBe(false);
    expect(e.stderr).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');

    const empty = bufferStreams();
    await runGet(api.client, parseResourceArgs(['pods']), { namespace: 'empty' }, empty);
    expect(empty.stderr).toBe('No resources found in empty namespace.\n');
  });

  it('scale patches the scale subresource and prints kubectl\'s line', async () => {
    const s = bufferStreams();
    await runScale(api.client, Resources.deployments, 'default', 'nginx', 3, undefined, s);
    expect(s.stdout).toBe('deployment.apps/nginx scaled\n');
    expect((await api.client.get<Deployment>(Resources.deployments, 'default', 'nginx')).spec?.replicas).toBe(3);
    await expect(runScale(api.client, Resources.deployments, 'default', 'nginx', 4, 7, s)).rejects.toThrow('Expected replicas to be 7, was 3');
  });

  it('cordon and uncordon a node', async () => {
    await api.client.create<Node>(Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    const s = bufferStreams();
    await runCordon(api.client, 'n1', true, s);
    await runCordon(api.client, 'n1', true, s);
    await runCordon(api.client, 'n1', false, s);
    expect(s.stdout).toBe('node/n1 cordoned\nnode/n1 already cordoned\nnode/n1 uncordoned\n');
    expect((await api.client.get<Node>(Resources.nodes, undefined, 'n1')).spec?.unschedulable).toBeFalsy();
  });

  it('delete -f removes both objects and waits until they are gone', async () => {
    const s = bufferStreams();
    const targets = loadManifests([nginxYaml], false).map((m) => {
      const md = m.object.metadata as { name: string };
      return { resource: m.object.kind === 'Service' ? Resources.services : Resources.deployments, namespace: 'default', name: md.name };
    });
    const deleted = await runDelete(api.client, targets, { propagation: 'Background', wait: true, timeoutMs: 10000 }, s);
    expect(s.stderr).toBe('');
    expect(deleted).toBe(true);
    expect(s.stdout).toBe('deployment.apps "nginx" deleted\nservice "nginx" deleted\n');
    const again = bufferStreams();
    expect(await runDelete(api.client, targets, { propagation: 'Background', wait: false }, again)).toBe(false);
    expect(again.stderr).toContain('(NotFound)');
  });

  it('get -w prints the table, then a row per change', async () => {
    const s = bufferStreams();
    const ac = new AbortController();
    const watching = runGet(api.client, parseResourceArgs(['pods']), { namespace: 'default', selector: 'w=1', watch: true, signal: ac.signal }, s);
    await new Promise((r) => setTimeout(r, 300));
    await api.client.create(Resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'w1', namespace: 'default', labels: { w: '1' } }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    const deadline = Date.now() + 5000;
    while (!/^w1\s+0\/1\s+Pending/m.test(s.stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    await watching;
    expect(s.stdout).toMatch(/^w1\s+0\/1\s+Pending\s+0\s+\d+s$/m);
  });

  it('describe and why pending explain an unscheduled pod', async () => {
    await api.client.create(Resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'lonely', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    const { describeObject } = await import('../../cli/verbs/describe');
    const { runWhy } = await import('../../cli/verbs/why');
    const pod = await api.client.get(Resources.pods, 'default', 'lonely');
    const text = await describeObject(api.client, Resources.pods, pod as never);
    expect(text).toMatch(/^Name:\s+lonely$/m);
    expect(text).toMatch(/^Status:\s+Pending$/m);
    expect(text).toContain('Events:  <none>');
    const s = bufferStreams();
    await runWhy(api.client, 'default', 'lonely', s);
    expect(s.stdout).toContain('pod/lonely (namespace default): Pending');
    expect(s.stdout).toContain('[scheduling] not scheduled yet');
  });

  it('reads manifests from a directory recursively', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-manifests-'));
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.copyFileSync(nginxYaml, path.join(dir, 'sub', 'a.yaml'));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a manifest');
    expect(() => loadManifests([dir], false)).toThrow('no objects passed to apply');
    expect(loadManifests([dir], true).map((m) => m.object.kind)).toEqual(['Deployment', 'Service']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
