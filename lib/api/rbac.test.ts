import type { ClusterRole } from 'kubernetes-types/rbac/v1';
import { aggregatedRules, sameRules } from './rbac';

const cr = (name: string, labels: Record<string, string>, rules: ClusterRole['rules'], agg?: Record<string, string>): ClusterRole => ({
  metadata: { name, labels },
  rules,
  ...(agg ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: agg }] } } : {}),
});

describe('ClusterRole aggregation', () => {
  const get = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
  const list = { verbs: ['list'], apiGroups: [''], resources: ['pods'] };

  it('gathers the rules of the matching roles in name order, each once, never its own', () => {
    const view = cr('view', { 'to-edit': 'true' }, [], { 'to-view': 'true' });
    const all = [view, cr('b-extra', { 'to-view': 'true' }, [list, get]), cr('a-base', { 'to-view': 'true' }, [get]), cr('other', {}, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }])];
    expect(aggregatedRules(view, all)).toEqual([get, list]);
  });

  it('answers undefined for a role that aggregates nothing, and [] when nothing matches', () => {
    expect(aggregatedRules(cr('x', {}, [get]), [])).toBeUndefined();
    expect(aggregatedRules(cr('x', {}, [], { none: 'true' }), [cr('y', {}, [get])])).toEqual([]);
  });

  it('compares rule lists with nil and empty alike', () => {
    expect(sameRules(undefined, [])).toBe(true);
    expect(sameRules([get], [list])).toBe(false);
  });
});
