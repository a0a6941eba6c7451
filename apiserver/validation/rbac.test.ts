import { Resources } from '../../lib/api/resources';
import { validate } from '.';

const messages = (rt: typeof Resources.roles, obj: object, old?: object) => validate(rt, obj, old).map((c) => `${c.field}: ${c.message}`);

describe('RBAC validation', () => {
  it('accepts path-segment names like system:node and refuses slashes', () => {
    expect(messages(Resources.clusterroles, { metadata: { name: 'system:node' }, rules: [] })).toEqual([]);
    expect(messages(Resources.clusterroles, { metadata: { name: 'a/b' } })).toEqual(["metadata.name: Invalid value: \"a/b\": may not contain '/'"]);
    expect(messages(Resources.clusterroles, { metadata: { name: '..' } })).toEqual(["metadata.name: Invalid value: \"..\": may not be '..'"]);
  });

  it('checks policy rules as kube does', () => {
    expect(messages(Resources.roles, { metadata: { name: 'r', namespace: 'ns' }, rules: [{ verbs: [] }, { verbs: ['get'], nonResourceURLs: ['/metrics'] }] })).toEqual([
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[0].resources: Required value: resource rules must supply at least one resource',
      'rules[1].nonResourceURLs: Invalid value: []string{"/metrics"}: namespaced rules cannot apply to non-resource URLs',
    ]);
    expect(messages(Resources.clusterroles, { metadata: { name: 'r' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/metrics'], resources: ['pods'] }] })).toEqual([
      'rules[0].nonResourceURLs: Invalid value: []string{"/metrics"}: rules cannot apply to both regular resources and non-resource URLs',
    ]);
    expect(messages(Resources.clusterroles, { metadata: { name: 'r' }, aggregationRule: { clusterRoleSelectors: [] } })).toEqual([
      'aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
    ]);
  });

  it('checks role references and subjects', () => {
    const rb = (o: object) => ({ metadata: { name: 'b', namespace: 'ns' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, ...o });
    expect(messages(Resources.rolebindings, rb({ subjects: [{ kind: 'ServiceAccount', name: 'default' }] }))).toEqual([]);
    expect(messages(Resources.rolebindings, rb({ roleRef: { apiGroup: 'x', kind: 'Thing', name: '' }, subjects: [{ kind: 'User', name: 'u' }, { kind: 'ServiceAccount', name: 'Bad_Name', apiGroup: 'x' }] }))).toEqual([
      'roleRef.apiGroup: Unsupported value: "x": supported values: "rbac.authorization.k8s.io"',
      'roleRef.kind: Unsupported value: "Thing": supported values: "Role", "ClusterRole"',
      'roleRef.name: Required value',
      'subjects[0].apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io"',
      expect.stringMatching(/^subjects\[1\]\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/),
      'subjects[1].apiGroup: Unsupported value: "x": supported values: ""',
    ]);
  });
});
