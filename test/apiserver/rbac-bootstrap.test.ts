// The default RBAC policy across restarts (LevelDB): a default role that lost rules gets them back, one
// marked rbac.authorization.kubernetes.io/autoupdate=false is left as its owner made it, additions
// are kept, and a default binding whose roleRef was replaced is recreated.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ClusterRole, ClusterRoleBinding } from 'kubernetes-types/rbac/v1';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer } from '../helpers/apiserver';

test('the default policy is reconciled at every start', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-rbac-boot-'));
  try {
    // Every request as a member of system:masters.
    const opts = { dataDir, authorizationMode: ['RBAC' as const], authenticators: [{ authenticate: () => ({ name: 'admin', groups: ['system:masters'] }) }] };
    let srv = await startTestApiServer(opts);
    const c = () => srv.client;
    // Damage: rules removed from one role, another protected, a binding re-pointed, a rule added.
    const monitoring = await c().get<ClusterRole>(Resources.clusterroles, undefined, 'system:monitoring');
    await c().update(Resources.clusterroles, { ...monitoring, rules: [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }] });
    const discovery = await c().get<ClusterRole>(Resources.clusterroles, undefined, 'system:discovery');
    await c().update(Resources.clusterroles, { ...discovery, metadata: { ...discovery.metadata, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'false' } }, rules: [{ verbs: ['get'], nonResourceURLs: ['/api'] }] });
    const basic = await c().get<ClusterRole>(Resources.clusterroles, undefined, 'system:basic-user');
    await c().update(Resources.clusterroles, { ...basic, rules: [...(basic.rules ?? []), { verbs: ['get'], apiGroups: [''], resources: ['namespaces'] }] });
    await c().delete(Resources.clusterrolebindings, undefined, 'system:kube-scheduler');
    await c().create(Resources.clusterrolebindings, undefined, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:kube-scheduler' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'someone' }],
    });
    await srv.stop();

    srv = await startTestApiServer(opts);
    const m = await c().get<ClusterRole>(Resources.clusterroles, undefined, 'system:monitoring');
    expect(m.rules?.flatMap((r) => r.nonResourceURLs)).toEqual(expect.arrayContaining(['/metrics', '/livez', '/readyz', '/healthz', '/livez/*']));
    expect((await c().get<ClusterRole>(Resources.clusterroles, undefined, 'system:discovery')).rules).toEqual([{ verbs: ['get'], nonResourceURLs: ['/api'] }]);
    expect((await c().get<ClusterRole>(Resources.clusterroles, undefined, 'system:basic-user')).rules).toContainEqual({ verbs: ['get'], apiGroups: [''], resources: ['namespaces'] });
    const sched = await c().get<ClusterRoleBinding>(Resources.clusterrolebindings, undefined, 'system:kube-scheduler');
    expect(sched.roleRef.name).toBe('system:kube-scheduler');
    expect(sched.subjects).toEqual([{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'system:kube-scheduler' }]);
    // Aggregated roles hold their rules again after the restart, and nothing was duplicated.
    const view = await c().get<ClusterRole>(Resources.clusterroles, undefined, 'view');
    expect(view.rules?.length).toBeGreaterThan(5);
    const all = await c().list<ClusterRole>(Resources.clusterroles);
    expect(new Set(all.items.map((r) => r.metadata?.name)).size).toBe(all.items.length);
    await srv.stop();
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
