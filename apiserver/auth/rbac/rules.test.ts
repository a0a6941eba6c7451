import type { PolicyRule } from 'kubernetes-types/rbac/v1';
import type { Attributes } from '../types';
import { compactString, covers, describeMissing, ruleAllows } from './rules';

const user = { name: 'u', groups: [] };
const res = (verb: string, resource: string, o: Partial<Attributes> = {}): Attributes => ({
  user,
  verb,
  resourceRequest: true,
  path: '',
  namespace: 'default',
  apiGroup: '',
  apiVersion: 'v1',
  resource,
  subresource: '',
  name: '',
  ...o,
});
const url = (verb: string, path: string): Attributes => ({ ...res(verb, ''), resourceRequest: false, path, namespace: '' });

describe('ruleAllows', () => {
  const r = (o: Partial<PolicyRule>): PolicyRule => ({ verbs: ['get'], apiGroups: [''], resources: ['pods'], ...o });

  it('matches verbs, groups and resources, with wildcards', () => {
    expect(ruleAllows(res('get', 'pods'), r({}))).toBe(true);
    expect(ruleAllows(res('list', 'pods'), r({}))).toBe(false);
    expect(ruleAllows(res('list', 'pods'), r({ verbs: ['*'] }))).toBe(true);
    expect(ruleAllows(res('get', 'deployments', { apiGroup: 'apps' }), r({ resources: ['deployments'] }))).toBe(false);
    expect(ruleAllows(res('get', 'deployments', { apiGroup: 'apps' }), r({ apiGroups: ['*'], resources: ['deployments'] }))).toBe(true);
    expect(ruleAllows(res('get', 'anything', { apiGroup: 'x.io' }), r({ apiGroups: ['*'], resources: ['*'] }))).toBe(true);
  });

  it('names subresources as resource/subresource, and */subresource for any resource', () => {
    expect(ruleAllows(res('get', 'pods', { subresource: 'log' }), r({}))).toBe(false);
    expect(ruleAllows(res('get', 'pods', { subresource: 'log' }), r({ resources: ['pods/log'] }))).toBe(true);
    expect(ruleAllows(res('get', 'pods'), r({ resources: ['pods/log'] }))).toBe(false);
    expect(ruleAllows(res('get', 'pods', { subresource: 'log' }), r({ resources: ['*/log'] }))).toBe(true);
    expect(ruleAllows(res('get', 'pods', { subresource: 'status' }), r({ resources: ['*/log'] }))).toBe(false);
    expect(ruleAllows(res('get', 'pods', { subresource: 'status' }), r({ resources: ['*'] }))).toBe(true);
  });

  it('limits to resourceNames when given', () => {
    expect(ruleAllows(res('get', 'pods', { name: 'a' }), r({ resourceNames: ['a'] }))).toBe(true);
    expect(ruleAllows(res('get', 'pods', { name: 'b' }), r({ resourceNames: ['a'] }))).toBe(false);
    // A list names no object: a rule with names never allows it.
    expect(ruleAllows(res('get', 'pods'), r({ resourceNames: ['a'] }))).toBe(false);
  });

  it('matches non-resource URLs exactly, by * or by a trailing * prefix', () => {
    const u = (urls: string[]): PolicyRule => ({ verbs: ['get'], nonResourceURLs: urls });
    expect(ruleAllows(url('get', '/healthz'), u(['/healthz']))).toBe(true);
    expect(ruleAllows(url('get', '/healthz/etcd'), u(['/healthz']))).toBe(false);
    expect(ruleAllows(url('get', '/healthz/etcd'), u(['/healthz/*']))).toBe(true);
    expect(ruleAllows(url('get', '/apis/apps/v1'), u(['/apis*']))).toBe(true);
    expect(ruleAllows(url('get', '/metrics'), u(['*']))).toBe(true);
    expect(ruleAllows(url('post', '/metrics'), u(['*']))).toBe(false);
    // Resource rules never allow URLs, nor URL rules resources.
    expect(ruleAllows(url('get', '/api'), r({ apiGroups: ['*'], resources: ['*'] }))).toBe(false);
    expect(ruleAllows(res('get', 'pods'), u(['*']))).toBe(false);
  });
});

describe('covers (escalation)', () => {
  it('finds the sub-rules the owner lacks', () => {
    const owner: PolicyRule[] = [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/log'] }];
    expect(covers(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]).covered).toBe(true);
    const { covered, missing } = covers(owner, [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods', 'secrets'] }]);
    expect(covered).toBe(false);
    expect(missing).toEqual([
      { verbs: ['delete'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['get'], apiGroups: [''], resources: ['secrets'] },
      { verbs: ['delete'], apiGroups: [''], resources: ['secrets'] },
    ]);
    expect(describeMissing(missing)).toBe('{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}\n{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete"]}');
  });

  it('treats wildcards, */subresource, names and URL prefixes as Kubernetes does', () => {
    const admin: PolicyRule[] = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }];
    expect(covers(admin, [{ verbs: ['escalate'], apiGroups: ['x'], resources: ['y/z'] }, { verbs: ['get'], nonResourceURLs: ['/metrics'] }]).covered).toBe(true);
    expect(covers([{ verbs: ['get'], apiGroups: [''], resources: ['*/log'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }]).covered).toBe(true);
    // A rule limited to names does not cover one for every name…
    expect(covers([{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]).covered).toBe(false);
    // …but covers the same names, and a rule for every name covers named ones.
    expect(covers([{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a', 'b'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }]).covered).toBe(true);
    expect(covers([{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }]).covered).toBe(true);
    expect(covers([{ verbs: ['get'], nonResourceURLs: ['/healthz/*'] }], [{ verbs: ['get'], nonResourceURLs: ['/healthz/etcd'] }]).covered).toBe(true);
    expect(covers([{ verbs: ['get'], nonResourceURLs: ['/healthz/*'] }], [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }]).covered).toBe(false);
  });

  it('prints rules as CompactString does', () => {
    expect(compactString({ verbs: ['get'], nonResourceURLs: ['/metrics'] })).toBe('{NonResourceURLs:["/metrics"], Verbs:["get"]}');
    expect(compactString({ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'] })).toBe('{APIGroups:["apps"], Resources:["deployments"], ResourceNames:["web"], Verbs:["get"]}');
  });
});
