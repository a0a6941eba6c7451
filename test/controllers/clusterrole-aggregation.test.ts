// The ClusterRole aggregation controller against a real RBAC apiserver, running as steer's controller
// manager identity (system:kube-controller-manager, not in system:masters: it writes rules it does not
// hold through its escalate verb): a ClusterRole labelled aggregate-to-view shows up in view, edit and
// admin, and leaves them when it goes.
import type { ClusterRole } from 'kubernetes-types/rbac/v1';
import { startControllers, type RunningControllers } from '../../controllers';
import { Resources } from '../../lib/api/resources';
import { type SecuredApiServer, startSecuredApiServer } from '../helpers/identities';
import { waitFor } from '../helpers/wait';

const widgets = { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list', 'watch'] };

describe('ClusterRole aggregation', () => {
  let srv: SecuredApiServer;
  let controllers: RunningControllers;

  beforeAll(async () => {
    srv = await startSecuredApiServer({ admin: { user: 'admin', groups: ['system:masters'] }, kcm: { user: 'system:kube-controller-manager' }, reader: { user: 'reader' } });
    controllers = await startControllers({ client: srv.as('kcm'), controllers: ['clusterrole-aggregation'], log: () => {} });
  });
  afterAll(async () => {
    await controllers.stop();
    await srv.stop();
  });

  const rulesOf = async (name: string) => (await srv.client.get<ClusterRole>(Resources.clusterroles, undefined, name)).rules ?? [];

  it('adds a new aggregate-to-view role to view, edit and admin, and removes it again', async () => {
    await srv.client.create<ClusterRole>(Resources.clusterroles, undefined, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'widget-viewer', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
      rules: [widgets],
    });
    for (const role of ['view', 'edit', 'admin']) await waitFor(`${role} to hold the widget rule`, async () => (await rulesOf(role)).some((r) => r.resources?.includes('widgets')));
    // A view user can read widgets now, as SubjectAccessReview says.
    await srv.client.create(Resources.clusterrolebindings, undefined, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'reader-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'reader' }],
    });
    const sar = await srv.client.create<{ status?: { allowed: boolean } }>(Resources.subjectaccessreviews, undefined, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'reader', resourceAttributes: { group: 'example.com', resource: 'widgets', verb: 'list', namespace: 'default' } },
    } as never);
    expect(sar.status?.allowed).toBe(true);
    // Still what the default aggregation gives.
    expect(await rulesOf('view')).toContainEqual(expect.objectContaining({ resources: expect.arrayContaining(['pods']) }));
    await srv.client.delete(Resources.clusterroles, undefined, 'widget-viewer');
    for (const role of ['view', 'edit', 'admin']) await waitFor(`${role} to drop the widget rule`, async () => !(await rulesOf(role)).some((r) => r.resources?.includes('widgets')));
  });
});
