// `steer auth can-i` against an RBAC apiserver: yes/no with the exit status's meaning, resources named
// as kubectl names them, non-resource URLs, and --list as kubectl prints it.
import { Resources } from '../../lib/api/resources';
import { bufferStreams } from '../../cli/io';
import { listRows, runCanI, runCanIList } from '../../cli/verbs/auth';
import { type SecuredApiServer, startSecuredApiServer } from '../helpers/identities';

describe('steer auth can-i', () => {
  let srv: SecuredApiServer;
  beforeAll(async () => {
    srv = await startSecuredApiServer({ admin: { user: 'admin', groups: ['system:masters'] }, viewer: { user: 'viewer' } });
    await srv.client.create(Resources.rolebindings, 'default', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'viewer-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'viewer' }],
    });
  });
  afterAll(() => srv.stop());

  const canI = async (verb: string, target: string, o: { name?: string; namespace?: string; allNamespaces?: boolean; subresource?: string } = {}) => {
    const s = bufferStreams();
    const allowed = await runCanI(srv.as('viewer'), verb, target, o.name, { namespace: o.namespace ?? 'default', allNamespaces: o.allNamespaces, subresource: o.subresource }, s);
    return { allowed, out: s.stdout, err: s.stderr };
  };

  it('answers yes and no', async () => {
    expect(await canI('list', 'pods')).toEqual({ allowed: true, out: 'yes\n', err: '' });
    expect(await canI('create', 'pods')).toEqual({ allowed: false, out: 'no\n', err: '' });
    expect(await canI('get', 'deploy/web')).toMatchObject({ allowed: true });
    expect(await canI('get', 'pods', { subresource: 'log' })).toMatchObject({ allowed: true });
    expect(await canI('list', 'pods', { allNamespaces: true })).toMatchObject({ allowed: false });
    expect(await canI('list', 'pods', { namespace: 'kube-system' })).toMatchObject({ allowed: false });
    expect(await canI('get', '/version')).toMatchObject({ allowed: true });
    expect(await canI('get', '/metrics')).toMatchObject({ allowed: false });
    expect(await canI('get', 'widgets.example.com')).toEqual({ allowed: false, out: 'no\n', err: "Warning: the server doesn't have a resource type 'widgets' in group 'example.com'\n" });
  });

  it('lists the rules of the namespace as kubectl does', async () => {
    const s = bufferStreams();
    await runCanIList(srv.as('viewer'), 'default', {}, s);
    const lines = s.stdout.split('\n');
    expect(lines[0]).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/);
    expect(s.stdout).toMatch(/\npods\s+\[\]\s+\[\]\s+\[get list watch\]\n/);
    expect(s.stdout).toMatch(/\n\s+\[\/version\]\s+\[\]\s+\[get\]\n/);
  });

  it('breaks rules down, merges verbs per resource and sorts as kubectl', () => {
    expect(
      listRows({
        resourceRules: [
          { verbs: ['get', 'list'], apiGroups: ['', 'apps'], resources: ['pods', 'deployments/scale'] },
          { verbs: ['create'], apiGroups: [''], resources: ['pods'] },
          { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] },
        ],
        nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }],
      }),
    ).toEqual([
      // Sorted by Go's PolicyRule.String(): `Verbs:[get list create]` before `Verbs:[get list]`.
      ['pods', '[]', '[]', '[get list create]'],
      ['deployments/scale', '[]', '[]', '[get list]'],
      ['deployments.apps/scale', '[]', '[]', '[get list]'],
      ['pods.apps', '[]', '[]', '[get list]'],
      ['', '[/healthz]', '[]', '[get]'],
      ['secrets', '[]', '[a]', '[get]'],
    ]);
  });
});
