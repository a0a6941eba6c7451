import type { ClusterRole, ClusterRoleBinding } from 'kubernetes-types/rbac/v1';
import { reconcileClusterRole, reconcileClusterRoleBinding } from './reconcile';

const rbac = 'rbac.authorization.k8s.io';
const role = (o: Partial<ClusterRole>): ClusterRole => ({ apiVersion: `${rbac}/v1`, kind: 'ClusterRole', metadata: { name: 'r', labels: { a: '1' }, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } }, ...o });

describe('reconciling the default policy (union mode)', () => {
  it('adds missing rules and keeps added ones', () => {
    const expected = role({ rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }] });
    const existing = role({ rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, { verbs: ['get'], apiGroups: [''], resources: ['extra'] }] });
    const next = reconcileClusterRole(existing, expected)!;
    expect(next.rules).toEqual([...existing.rules!, { verbs: ['list'], apiGroups: [''], resources: ['pods'] }]);
    expect(reconcileClusterRole(next, expected)).toBeUndefined();
  });

  it('merges labels and annotations, the existing values winning', () => {
    const existing = role({ metadata: { name: 'r', labels: { a: 'mine' } }, rules: [] });
    const next = reconcileClusterRole(existing, role({ rules: [] }))!;
    expect(next.metadata).toEqual({ name: 'r', labels: { a: 'mine' }, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } });
  });

  it('adds missing aggregation selectors and leaves aggregated rules alone', () => {
    const sel = { matchLabels: { x: 'true' } };
    const expected = role({ aggregationRule: { clusterRoleSelectors: [sel] } });
    const existing = role({ aggregationRule: { clusterRoleSelectors: [{ matchLabels: { y: 'true' } }] }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] });
    const next = reconcileClusterRole(existing, expected)!;
    expect(next.aggregationRule?.clusterRoleSelectors).toEqual([{ matchLabels: { y: 'true' } }, sel]);
    expect(next.rules).toEqual(existing.rules);
  });

  it('adds missing subjects, and recreates a binding whose roleRef changed', () => {
    const b = (subjects: ClusterRoleBinding['subjects'], name = 'view'): ClusterRoleBinding => ({
      apiVersion: `${rbac}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'b' },
      roleRef: { apiGroup: rbac, kind: 'ClusterRole', name },
      subjects,
    });
    const g = (name: string) => ({ kind: 'Group', apiGroup: rbac, name });
    const next = reconcileClusterRoleBinding(b([g('mine')]), b([g('system:authenticated')]));
    expect(next !== 'recreate' && next?.subjects).toEqual([g('mine'), g('system:authenticated')]);
    expect(reconcileClusterRoleBinding(b([g('system:authenticated')]), b([g('system:authenticated')]))).toBeUndefined();
    expect(reconcileClusterRoleBinding(b([], 'edit'), b([]))).toBe('recreate');
  });
});
