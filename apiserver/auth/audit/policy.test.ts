import type { Attributes } from '../types';
import { evaluatePolicy, type Policy, validatePolicy } from './policy';

const a = (o: Partial<Attributes>): Attributes => ({
  user: { name: 'alice', groups: ['devs', 'system:authenticated'] },
  verb: 'get',
  resourceRequest: true,
  path: '/api/v1/namespaces/ns/pods/p',
  namespace: 'ns',
  apiGroup: '',
  apiVersion: 'v1',
  resource: 'pods',
  subresource: '',
  name: 'p',
  ...o,
});

const policy = (rules: Policy['rules'], omitStages?: Policy['omitStages']): Policy => ({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules, omitStages });

describe('audit policy evaluation', () => {
  it('takes the first rule that matches; None when none does', () => {
    const p = policy([
      { level: 'None', users: ['system:kube-proxy'] },
      { level: 'RequestResponse', userGroups: ['admins'] },
      { level: 'Metadata', verbs: ['get'] },
    ]);
    expect(evaluatePolicy(p, a({})).level).toBe('Metadata');
    expect(evaluatePolicy(p, a({ user: { name: 'system:kube-proxy', groups: ['admins'] } })).level).toBe('None');
    expect(evaluatePolicy(p, a({ user: { name: 'x', groups: ['admins'] }, verb: 'list' })).level).toBe('RequestResponse');
    expect(evaluatePolicy(p, a({ verb: 'list' })).level).toBe('None');
  });

  it('matches resources by group, resource/subresource, */subresource, resource/* and names', () => {
    const match = (resources: Policy['rules'][0]['resources'], o: Partial<Attributes>) => evaluatePolicy(policy([{ level: 'Metadata', resources }]), a(o)).level === 'Metadata';
    expect(match([{ group: '', resources: ['pods'] }], {})).toBe(true);
    expect(match([{ group: 'apps', resources: ['pods'] }], {})).toBe(false);
    expect(match([{ group: '' }], {})).toBe(true);
    expect(match([{ group: '', resources: ['pods'] }], { subresource: 'log' })).toBe(false);
    expect(match([{ group: '', resources: ['pods/log'] }], { subresource: 'log' })).toBe(true);
    expect(match([{ group: '', resources: ['*/log'] }], { subresource: 'log' })).toBe(true);
    expect(match([{ group: '', resources: ['pods/*'] }], { subresource: 'exec' })).toBe(true);
    expect(match([{ group: '', resources: ['pods'], resourceNames: ['q'] }], {})).toBe(false);
    expect(match([{ group: '', resources: ['pods'], resourceNames: ['p'] }], {})).toBe(true);
    // Resource rules never match non-resource requests.
    expect(match([{ group: '' }], { resourceRequest: false, path: '/healthz' })).toBe(false);
  });

  it('matches namespaces and non-resource URLs', () => {
    const ns = policy([{ level: 'Request', namespaces: ['ns'] }]);
    expect(evaluatePolicy(ns, a({})).level).toBe('Request');
    expect(evaluatePolicy(ns, a({ namespace: '' })).level).toBe('None');
    const urls = policy([{ level: 'Metadata', nonResourceURLs: ['/healthz*', '/version'] }]);
    expect(evaluatePolicy(urls, a({ resourceRequest: false, path: '/healthz/etcd' })).level).toBe('Metadata');
    expect(evaluatePolicy(urls, a({ resourceRequest: false, path: '/version' })).level).toBe('Metadata');
    expect(evaluatePolicy(urls, a({ resourceRequest: false, path: '/metrics' })).level).toBe('None');
    expect(evaluatePolicy(urls, a({})).level).toBe('None');
  });

  it('unions the policy\'s omitted stages with the rule\'s', () => {
    const p = policy([{ level: 'Metadata', omitStages: ['ResponseStarted'] }], ['RequestReceived']);
    expect(evaluatePolicy(p, a({})).omitStages.sort()).toEqual(['RequestReceived', 'ResponseStarted']);
  });

  it('a request without a user (failed authentication) matches only rules that name no users', () => {
    const p = policy([{ level: 'Request', users: ['alice'] }, { level: 'Metadata', userGroups: ['devs'] }, { level: 'RequestResponse' }]);
    expect(evaluatePolicy(p, { ...a({}), user: undefined }).level).toBe('RequestResponse');
  });

  it('validates levels, stages and URL rules', () => {
    expect(validatePolicy(policy([{ level: 'Loud' as 'None' }, { level: 'Metadata', omitStages: ['Later' as 'Panic'] }, { level: 'Metadata', nonResourceURLs: ['/a'], namespaces: ['x'] }, { level: 'None', nonResourceURLs: ['a*b'] }]))).toEqual([
      'rules[0].level: Unsupported value: "Loud": supported values: "None", "Metadata", "Request", "RequestResponse"',
      'rules[1].omitStages[0]: Unsupported value: "Later": supported values: "RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"',
      'rules[2].nonResourceURLs: Invalid value: ["/a"]: rules cannot apply to both regular resources and non-resource URLs',
      `rules[3].nonResourceURLs[0]: Invalid value: "a*b": non-resource URL rules must begin with a '/' character`,
    ]);
  });
});
