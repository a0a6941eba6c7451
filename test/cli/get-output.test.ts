// `steer get`'s kubectl output habits against a real (in-memory) apiserver: --show-labels, -L,
// --sort-by, -o jsonpath / jsonpath-file, -o custom-columns / custom-columns-file, --field-selector,
// --no-headers, and the same formats with -w. Expected texts are what kubectl 1.20 printed for the
// same objects (tools/kubectl against a steer apiserver).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Deployment } from 'kubernetes-types/apps/v1';
import { Resources } from '../../lib/api/resources';
import { bufferStreams } from '../../cli/io';
import { parseResourceArgs } from '../../cli/resource-args';
import { GetOptions, labelColumnKeys, parseOutput, runGet } from '../../cli/verbs/get';
import { TestApiServer, startTestApiServer } from '../helpers/apiserver';
import { waitFor } from '../helpers/wait';

function deployment(name: string, image: string, replicas: number, labels: Record<string, string>): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      // creationTimestamp: null as kubectl create writes it (a JSON null prints as Go's <nil>).
      template: { metadata: { labels: { app: name }, creationTimestamp: null } as never, spec: { containers: [{ name: name === 'web' ? 'nginx' : 'busybox', image }] } },
    },
  };
}

describe('get: kubectl output formats', () => {
  let api: TestApiServer;
  let dir: string;
  const get = async (args: string[], o: Partial<GetOptions> & { o?: string } = {}) => {
    const s = bufferStreams();
    const { o: out, ...rest } = o;
    const ok = await runGet(api.client, parseResourceArgs(args), { namespace: 'default', ...parseOutput(out), ...rest }, s);
    return { ok, ...s };
  };
  /** The table without its AGE column's values (they depend on the clock). */
  const ageless = (text: string) => text.replace(/ {3}\d+s( +)/g, '   Xs$1');

  beforeAll(async () => {
    api = await startTestApiServer();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-get-output-'));
    // Created web first so that sorting by name visibly reorders the server's creation order elsewhere.
    await api.client.create(Resources.deployments, 'default', deployment('web', 'nginx:1', 2, { app: 'web', tier: 'front' }));
    await api.client.create(Resources.deployments, 'default', deployment('api', 'busybox:1', 1, { app: 'api' }));
    await api.client.create(Resources.deployments, 'default', deployment('db10', 'busybox:1', 10, { app: 'db10' }));
    await api.client.create(Resources.deployments, 'default', deployment('db9', 'busybox:1', 3, { app: 'db9' }));
  });
  afterAll(async () => {
    await api?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--show-labels and -L add label columns after the server\'s, as kubectl 1.20 prints them', async () => {
    const r = await get(['deploy'], { showLabels: true, labelColumns: labelColumnKeys(['app', 'tier']), selector: 'app in (api,web)' });
    expect(r.ok).toBe(true);
    expect(ageless(r.stdout)).toBe(
      [
        'NAME   READY   UP-TO-DATE   AVAILABLE   AGE   APP   TIER    LABELS',
        'api    0/1     0            0           Xs    api           app=api',
        'web    0/2     0            0           Xs    web   front   app=web,tier=front',
        '',
      ].join('\n'),
    );
    const l = await get(['deploy', 'api'], { labelColumns: labelColumnKeys(['app.kubernetes.io/name,app']) });
    expect(l.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+NAME\s+APP$/);
    expect(l.stdout.split('\n')[1]).toMatch(/^api\s+0\/1\s+0\s+0\s+\d+s\s+api$/);
  });

  it('--sort-by orders table rows, -o name and custom columns (numbers numerically, names naturally)', async () => {
    const byReplicas = await get(['deploy'], { sortBy: '.spec.replicas', o: 'name' });
    expect(byReplicas.stdout).toBe('deployment.apps/api\ndeployment.apps/web\ndeployment.apps/db9\ndeployment.apps/db10\n');
    const table = await get(['deploy'], { sortBy: '{.spec.replicas}', noHeaders: true });
    expect(table.stdout.split('\n').map((l) => l.split(' ')[0])).toEqual(['api', 'web', 'db9', 'db10', '']);
    const byName = await get(['deploy'], { sortBy: '.metadata.name', o: 'custom-columns=NAME:.metadata.name' });
    expect(byName.stdout).toBe('NAME\napi\ndb9\ndb10\nweb\n');
    await expect(get(['deploy'], { sortBy: '.spec.nope', o: 'name' })).rejects.toThrow('couldn\'t find any field with path "{.spec.nope}" in the list of objects');
  });

  it('-o jsonpath: kubectl templates, ranges, filters, recursive descent and missing keys', async () => {
    const sorted = { sortBy: '.metadata.name' };
    expect((await get(['deploy'], { ...sorted, o: 'jsonpath={.items[*].metadata.name}' })).stdout).toBe('api db9 db10 web');
    expect((await get(['deploy'], { ...sorted, selector: 'app in (api,web)', o: 'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.spec.replicas}{"\\n"}{end}' })).stdout).toBe('api\t1\nweb\t2\n');
    expect((await get(['deploy'], { o: 'jsonpath={.items[?(@.metadata.name=="web")].spec.replicas}' })).stdout).toBe('2');
    expect((await get(['deploy'], { ...sorted, o: 'jsonpath={.items[?(@.spec.replicas>2)].metadata.name}' })).stdout).toBe('db9 db10');
    expect((await get(['deploy', 'web'], { o: 'jsonpath={..image}' })).stdout).toBe('nginx:1');
    expect((await get(['deploy', 'web'], { o: 'jsonpath={.metadata.labels}' })).stdout).toBe('{"app":"web","tier":"front"}');
    expect((await get(['deploy', 'web'], { o: 'jsonpath={.spec.template.metadata.creationTimestamp}|{.nope}|{.metadata.generation}' })).stdout).toBe('<nil>||1');
    expect((await get(['deploy'], { ...sorted, o: 'jsonpath={.items[*].metadata.labels.tier}' })).stdout).toBe('front');
    const file = path.join(dir, 'names.jsonpath');
    fs.writeFileSync(file, '{range .items[*]}{.metadata.name}:{range .spec.template.spec.containers[*]}{.image},{end}{"\\n"}{end}');
    expect((await get(['deploy'], { ...sorted, selector: 'app in (api,web)', o: `jsonpath-file=${file}` })).stdout).toBe('api:busybox:1,\nweb:nginx:1,\n');
  });

  it('-o jsonpath errors read like kubectl\'s', async () => {
    expect(() => parseOutput('jsonpath={.bad')).toThrow(/^error parsing jsonpath \{\.bad, unclosed action$/);
    expect(() => parseOutput('jsonpath={.items[*].metadata.name,spec}')).toThrow("error parsing jsonpath {.items[*].metadata.name,spec}, unrecognized character in action: U+002C ','");
    expect(() => parseOutput('jsonpath=')).toThrow('template format specified but no template given');
    expect(() => parseOutput(`jsonpath-file=${path.join(dir, 'absent')}`)).toThrow(/^error reading template .*absent/);
    await expect(get(['deploy'], { o: 'jsonpath={.items[5]}' })).rejects.toThrow('error executing jsonpath "{.items[5]}": Error executing template: array index out of bounds: index 5, length 4.');
    await expect(get(['deploy'], { o: 'jsonpath={end}' })).rejects.toThrow('Error executing template: not in range, nothing to end.');
    expect(() => parseOutput('foo')).toThrow('unable to match a printer suitable for the output format "foo", allowed formats are: custom-columns,custom-columns-file,json,jsonpath,jsonpath-file,name,wide,yaml');
  });

  it('-o custom-columns and custom-columns-file, with Go\'s %v for maps and <none> for missing', async () => {
    const r = await get(['deploy'], {
      sortBy: '.metadata.name',
      selector: 'app in (api,web)',
      o: 'custom-columns=name:.metadata.name,L:.metadata.labels,C:.spec.template.spec.containers[*].name,T:{.spec.template.metadata.creationTimestamp},X:.nope',
    });
    expect(r.stdout).toBe(
      ['name   L                         C         T       X', 'api    map[app:api]              busybox   <nil>   <none>', 'web    map[app:web tier:front]   nginx     <nil>   <none>', ''].join('\n'),
    );
    const noHeaders = await get(['deploy'], { sortBy: '.metadata.name', noHeaders: true, o: 'custom-columns=N:.metadata.name,R:.spec.replicas' });
    expect(noHeaders.stdout).toBe('api    1\ndb9    3\ndb10   10\nweb    2\n');
    const file = path.join(dir, 'columns');
    fs.writeFileSync(file, 'NAME      IMAGE\n.metadata.name   .spec.template.spec.containers[0].image\n');
    expect((await get(['deploy', 'web'], { o: `custom-columns-file=${file}` })).stdout).toBe('NAME   IMAGE\nweb    nginx:1\n');
    fs.writeFileSync(file, 'NAME IMAGE\n.metadata.name\n');
    expect(() => parseOutput(`custom-columns-file=${file}`)).toThrow("number of headers (2) and field specifications (1) don't match");
    expect(() => parseOutput('custom-columns=N')).toThrow('unexpected custom-columns spec: N, expected <header>:<json-path-expr>');
    expect(() => parseOutput('custom-columns=')).toThrow('custom-columns format specified but no custom columns given');
    // An empty list: the header alone, and no "No resources found" (kubectl 1.20).
    const empty = await runGetIn('other', 'custom-columns=N:.metadata.name');
    expect(empty).toEqual({ stdout: 'N\n', stderr: '' });
  });
  const runGetIn = async (namespace: string, out: string) => {
    const s = bufferStreams();
    await runGet(api.client, parseResourceArgs(['deploy']), { namespace, ...parseOutput(out) }, s);
    return { stdout: s.stdout, stderr: s.stderr };
  };

  it('--field-selector narrows the list; an unsupported field is the server\'s BadRequest', async () => {
    expect((await get(['deploy'], { fieldSelector: 'metadata.name=db9', o: 'name' })).stdout).toBe('deployment.apps/db9\n');
    await expect(get(['deploy'], { fieldSelector: 'spec.foo=bar' })).rejects.toThrow(/field label not supported: spec.foo/);
  });

  it('-w with custom-columns, jsonpath, -L and --show-labels prints each change in that format', async () => {
    const ac = new AbortController();
    const s = bufferStreams();
    const watching = runGet(api.client, parseResourceArgs(['deploy']), { namespace: 'default', selector: 'w=1', watch: true, signal: ac.signal, ...parseOutput('custom-columns=N:.metadata.name,IMAGE:.spec.template.spec.containers[*].image') }, s);
    const j = bufferStreams();
    const jac = new AbortController();
    const watchingJson = runGet(api.client, parseResourceArgs(['deploy']), { namespace: 'default', selector: 'w=1', watch: true, signal: jac.signal, ...parseOutput('jsonpath={.metadata.name}={.spec.replicas}{"\\n"}') }, j);
    const t = bufferStreams();
    const tac = new AbortController();
    const watchingTable = runGet(api.client, parseResourceArgs(['deploy']), { namespace: 'default', selector: 'w=1', watch: true, signal: tac.signal, showLabels: true, labelColumns: ['w'], sortBy: '.metadata.name' }, t);
    await new Promise((r) => setTimeout(r, 300));
    await api.client.create(Resources.deployments, 'default', deployment('watched', 'nginx:2', 1, { app: 'watched', w: '1' }));
    await api.client.patch(Resources.deployments, 'default', 'watched', { spec: { replicas: 4 } });
    await waitFor('the events', () => /watched=4/.test(j.stdout) && s.stdout.split('\n').length >= 4 && /watched/.test(t.stdout));
    ac.abort();
    jac.abort();
    tac.abort();
    await Promise.all([watching, watchingJson, watchingTable]);
    expect(s.stdout.split('\n').slice(0, 3)).toEqual(['N         IMAGE', 'watched   nginx:2', 'watched   nginx:2']);
    expect(j.stdout.startsWith('watched=1\n')).toBe(true);
    expect(j.stdout).toContain('watched=4\n');
    expect(t.stderr).toBe('warning: --watch or --watch-only requested, --sort-by will be ignored\n');
    expect(t.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+W\s+LABELS$/);
    expect(t.stdout.split('\n')[1]).toMatch(/^watched\s+0\/1\s+0\s+0\s+\d+s\s+1\s+app=watched,w=1$/);
  });
});
