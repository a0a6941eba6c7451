// RBAC on a real apiserver (--authorization-mode=Node,RBAC), users from a token file: the default roles,
// view and edit bindings, a binding counting from the next request, escalation refused, aggregation,
// and the access reviews that `kubectl auth can-i` and the node agent's delegated authorization send.
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-types/rbac/v1';
import type { LocalSubjectAccessReview, SelfSubjectAccessReview, SubjectAccessReview } from 'kubernetes-types/authorization/v1';
import type { RulesForResult } from '../../apiserver/auth/rule-resolver';
import type { Pod, Secret } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { outcome, type SecuredApiServer, startSecuredApiServer } from '../helpers/identities';

const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
/** A SelfSubjectRulesReview as sent and answered (kubernetes-types' ResourceRule lacks verbs and resources). */
interface RulesReview {
  apiVersion: 'authorization.k8s.io/v1';
  kind: 'SelfSubjectRulesReview';
  spec: { namespace: string };
  status?: Omit<RulesForResult, 'error'> & { evaluationError?: string };
}
const secret = (name: string): Secret => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { k: 'v' } });
const binding = (name: string, role: string, user: string, kind: 'ClusterRole' | 'Role' = 'ClusterRole'): RoleBinding => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: role },
  subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }],
});

describe('RBAC', () => {
  let srv: SecuredApiServer;

  beforeAll(async () => {
    srv = await startSecuredApiServer({
      admin: { user: 'admin', groups: ['system:masters'] },
      viewer: { user: 'viewer' },
      editor: { user: 'editor' },
      nobody: { user: 'nobody' },
      lead: { user: 'lead' },
      kcm: { user: 'system:kube-controller-manager' },
      scheduler: { user: 'system:kube-scheduler' },
    });
    const admin = srv.client;
    for (const ns of ['team-a', 'team-b']) await admin.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await admin.create(Resources.pods, 'team-a', pod('web'));
    await admin.create(Resources.secrets, 'team-a', secret('db'));
  });
  afterAll(() => srv.stop());

  it('creates the default roles and bindings, labelled and marked for auto-update', async () => {
    const roles = await srv.client.list<ClusterRole>(Resources.clusterroles);
    const names = roles.items.map((r) => r.metadata?.name);
    for (const n of ['cluster-admin', 'admin', 'edit', 'view', 'system:basic-user', 'system:discovery', 'system:public-info-viewer', 'system:monitoring', 'system:node', 'system:node-proxier', 'system:auth-delegator', 'system:kube-scheduler', 'system:kube-controller-manager']) {
      expect(names).toContain(n);
    }
    const view = roles.items.find((r) => r.metadata?.name === 'view')!;
    expect(view.metadata?.labels).toMatchObject({ 'kubernetes.io/bootstrapping': 'rbac-defaults', 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' });
    expect(view.metadata?.annotations).toEqual({ 'rbac.authorization.kubernetes.io/autoupdate': 'true' });
    // Aggregated at start from system:aggregate-to-view.
    expect(view.rules).toContainEqual({ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: expect.arrayContaining(['pods', 'configmaps']) });
    const bindings = await srv.client.list<ClusterRoleBinding>(Resources.clusterrolebindings);
    const admin = bindings.items.find((b) => b.metadata?.name === 'cluster-admin')!;
    expect(admin.subjects).toEqual([{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:masters' }]);
  });

  it('refuses a user without bindings with kube-apiserver\'s message', async () => {
    const r = await outcome(srv.as('nobody').list(Resources.pods, { namespace: 'team-a' }));
    expect(r).toEqual({ code: 403, message: 'pods is forbidden: User "nobody" cannot list resource "pods" in API group "" in the namespace "team-a"' });
  });

  it('lets a view user list pods but not create them nor read secrets; the binding counts from the next request', async () => {
    const viewer = srv.as('viewer');
    expect((await outcome(viewer.list(Resources.pods, { namespace: 'team-a' }))).code).toBe(403);
    await srv.client.create(Resources.rolebindings, 'team-a', binding('viewer-view', 'view', 'viewer'));
    // No wait: the binding is in the authorizer's index before its create is answered.
    const pods = await viewer.list<Pod>(Resources.pods, { namespace: 'team-a' });
    expect(pods.items.map((p) => p.metadata?.name)).toEqual(['web']);
    expect(await outcome(viewer.create(Resources.pods, 'team-a', pod('mine')))).toEqual({
      code: 403,
      message: 'pods is forbidden: User "viewer" cannot create resource "pods" in API group "" in the namespace "team-a"',
    });
    expect(await outcome(viewer.get(Resources.secrets, 'team-a', 'db'))).toEqual({
      code: 403,
      message: 'secrets "db" is forbidden: User "viewer" cannot get resource "secrets" in API group "" in the namespace "team-a"',
    });
    expect((await outcome(viewer.list(Resources.secrets, { namespace: 'team-a' }))).code).toBe(403);
    // pods/log is in view; only in team-a.
    expect((await outcome(viewer.list(Resources.pods, { namespace: 'team-b' }))).code).toBe(403);
    // And gone again once the binding is.
    await srv.client.delete(Resources.rolebindings, 'team-a', 'viewer-view');
    expect((await outcome(viewer.list(Resources.pods, { namespace: 'team-a' }))).code).toBe(403);
  });

  it('grants edit in one namespace only', async () => {
    await srv.client.create(Resources.rolebindings, 'team-a', binding('editor-edit', 'edit', 'editor'));
    const editor = srv.as('editor');
    await editor.create(Resources.pods, 'team-a', pod('edited'));
    expect((await editor.get<Secret>(Resources.secrets, 'team-a', 'db')).metadata?.name).toBe('db');
    expect(await outcome(editor.create(Resources.pods, 'team-b', pod('edited')))).toEqual({
      code: 403,
      message: 'pods is forbidden: User "editor" cannot create resource "pods" in API group "" in the namespace "team-b"',
    });
    // Cluster-scoped objects are not in a namespace's RoleBinding.
    expect((await outcome(editor.list(Resources.nodes))).code).toBe(403);
    // edit does not include RBAC.
    expect((await outcome(editor.list(Resources.rolebindings, { namespace: 'team-a' }))).code).toBe(403);
  });

  it('refuses escalation: roles with rules not held, bindings to roles not held', async () => {
    await srv.client.create(Resources.rolebindings, 'team-a', binding('lead-admin', 'admin', 'lead'));
    const lead = srv.as('lead');
    // admin may write roles and bindings in team-a, within what admin holds there.
    const podReader: Role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] };
    await lead.create(Resources.roles, 'team-a', podReader);
    await lead.create(Resources.rolebindings, 'team-a', binding('nobody-reads', 'pod-reader', 'nobody', 'Role'));
    expect((await srv.as('nobody').list<Pod>(Resources.pods, { namespace: 'team-a' })).items.length).toBeGreaterThan(0);
    // Nodes are not theirs to grant.
    const nodeReader: Role = { ...podReader, metadata: { name: 'node-reader' }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] }] };
    expect(await outcome(lead.create(Resources.roles, 'team-a', nodeReader))).toEqual({
      code: 403,
      message: 'roles.rbac.authorization.k8s.io "node-reader" is forbidden: user "lead" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}',
    });
    // Nor is cluster-admin, in their namespace or anywhere.
    expect(await outcome(lead.create(Resources.rolebindings, 'team-a', binding('grab', 'cluster-admin', 'lead')))).toMatchObject({
      code: 403,
      message: expect.stringMatching(/^rolebindings\.rbac\.authorization\.k8s\.io "grab" is forbidden: user "lead" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}/),
    });
    // An update that widens a role is refused too.
    const current = await lead.get<Role>(Resources.roles, 'team-a', 'pod-reader');
    expect((await outcome(lead.update(Resources.roles, { ...current, rules: [...current.rules!, { apiGroups: [''], resources: ['nodes'], verbs: ['get'] }] }))).code).toBe(403);
    // The escalate verb lifts the check, bind lifts it for bindings.
    await srv.client.create(Resources.clusterroles, undefined, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'escalator' },
      rules: [
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['escalate'] },
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['cluster-admin'] },
      ],
    } satisfies ClusterRole);
    await srv.client.create(Resources.rolebindings, 'team-a', binding('lead-escalator', 'escalator', 'lead'));
    await lead.create(Resources.roles, 'team-a', nodeReader);
    await lead.create(Resources.rolebindings, 'team-a', binding('grab', 'cluster-admin', 'lead'));
  });

  it('keeps roleRef immutable and validates subjects', async () => {
    const b = await srv.client.get<RoleBinding>(Resources.rolebindings, 'team-a', 'editor-edit');
    const r = await outcome(srv.client.update(Resources.rolebindings, { ...b, roleRef: { ...b.roleRef, name: 'view' } }));
    expect(r).toEqual({
      code: 422,
      message: 'RoleBinding.rbac.authorization.k8s.io "editor-edit" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"view"}: cannot change roleRef',
    });
    const bad = await outcome(srv.client.create(Resources.clusterrolebindings, undefined, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'bad' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'x' },
      subjects: [{ kind: 'ServiceAccount', name: 'default' }, { kind: 'Robot', name: 'r2' }],
    }));
    expect(bad.code).toBe(422);
    expect(bad.message).toBe(
      'ClusterRoleBinding.rbac.authorization.k8s.io "bad" is invalid: [roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole", subjects[0].namespace: Required value, subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"]',
    );
  });

  it('answers SubjectAccessReview for any user, as the node agent asks it', async () => {
    await srv.client.create(Resources.rolebindings, 'team-b', binding('viewer-view', 'view', 'viewer'));
    const review = (spec: SubjectAccessReview['spec']) =>
      srv.as('admin').create<SubjectAccessReview>(Resources.subjectaccessreviews, undefined, { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec });
    const allowed = await review({ user: 'viewer', groups: ['system:authenticated'], uid: 'u-1', extra: { scopes: ['a'] }, resourceAttributes: { namespace: 'team-b', verb: 'list', resource: 'pods' } });
    expect(allowed.status).toEqual({ allowed: true, reason: 'RBAC: allowed by RoleBinding "viewer-view/team-b" of ClusterRole "view" to User "viewer"' });
    expect(allowed.spec).toMatchObject({ user: 'viewer', uid: 'u-1', extra: { scopes: ['a'] } });
    expect((await review({ user: 'viewer', groups: ['system:authenticated'], resourceAttributes: { namespace: 'team-b', verb: 'delete', resource: 'pods' } })).status).toEqual({ allowed: false });
    // Non-resource: /metrics needs system:monitoring; /healthz is public.
    expect((await review({ user: 'prometheus', groups: ['system:monitoring', 'system:authenticated'], nonResourceAttributes: { path: '/metrics', verb: 'get' } })).status?.allowed).toBe(true);
    expect((await review({ user: 'viewer', groups: ['system:authenticated'], nonResourceAttributes: { path: '/metrics', verb: 'get' } })).status?.allowed).toBe(false);
    expect((await review({ user: 'system:anonymous', groups: ['system:unauthenticated'], nonResourceAttributes: { path: '/version', verb: 'get' } })).status?.allowed).toBe(true);
    // Subresources: view has pods/log, not pods/exec.
    expect((await review({ user: 'viewer', resourceAttributes: { namespace: 'team-b', verb: 'get', resource: 'pods', subresource: 'log' } })).status?.allowed).toBe(true);
    expect((await review({ user: 'viewer', resourceAttributes: { namespace: 'team-b', verb: 'create', resource: 'pods', subresource: 'exec' } })).status?.allowed).toBe(false);
    // system:masters in the review's groups is allowed by the chain, not by RBAC.
    expect((await review({ user: 'x', groups: ['system:masters'], resourceAttributes: { verb: 'delete', resource: 'nodes' } })).status).toEqual({ allowed: true });
    const invalid = await outcome(review({ resourceAttributes: { verb: 'get', resource: 'pods' } }));
    expect(invalid).toEqual({ code: 422, message: 'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified' });
    // A user without the right to review others is refused.
    expect((await outcome(srv.as('viewer').create(Resources.subjectaccessreviews, undefined, { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'x', resourceAttributes: { verb: 'get', resource: 'pods' } } }))).code).toBe(403);
  });

  it('answers LocalSubjectAccessReview in its namespace', async () => {
    const r = await srv.client.create<LocalSubjectAccessReview>(Resources.localsubjectaccessreviews, 'team-b', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'LocalSubjectAccessReview',
      spec: { user: 'viewer', resourceAttributes: { namespace: 'team-b', verb: 'get', resource: 'pods' } },
    });
    expect(r.status?.allowed).toBe(true);
    const wrong = await outcome(srv.client.create(Resources.localsubjectaccessreviews, 'team-b', { apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', spec: { user: 'viewer', resourceAttributes: { namespace: 'team-a', verb: 'get', resource: 'pods' } } }));
    expect(wrong.code).toBe(422);
    expect(wrong.message).toContain('spec.resourceAttributes.namespace: Invalid value: "team-a": must match metadata.namespace');
  });

  it('answers SelfSubjectAccessReview and SelfSubjectRulesReview for the caller', async () => {
    const viewer = srv.as('viewer');
    const ssar = (ra: NonNullable<SelfSubjectAccessReview['spec']>['resourceAttributes']) =>
      viewer.create<SelfSubjectAccessReview>(Resources.selfsubjectaccessreviews, undefined, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: ra } });
    expect((await ssar({ namespace: 'team-b', verb: 'list', resource: 'pods' })).status?.allowed).toBe(true);
    expect((await ssar({ namespace: 'team-b', verb: 'create', resource: 'pods' })).status?.allowed).toBe(false);
    const rules = await viewer.create<RulesReview>(Resources.selfsubjectrulesreviews, undefined, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'team-b' } });
    expect(rules.status?.incomplete).toBe(false);
    expect(rules.status?.resourceRules).toContainEqual({ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] });
    expect(rules.status?.resourceRules).toContainEqual(expect.objectContaining({ verbs: ['get', 'list', 'watch'], resources: expect.arrayContaining(['pods']) }));
    expect(rules.status?.nonResourceRules).toContainEqual({ verbs: ['get'], nonResourceURLs: expect.arrayContaining(['/version', '/healthz']) });
    // In a namespace without bindings, only the cluster-wide rules.
    const none = await viewer.create<RulesReview>(Resources.selfsubjectrulesreviews, undefined, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'default' } });
    expect(none.status?.resourceRules?.some((r) => r.resources?.includes('pods'))).toBe(false);
    // Reviews are create-only (for whoever may list at all; others are refused before that).
    expect((await outcome(viewer.list(Resources.selfsubjectaccessreviews))).code).toBe(403);
    expect((await outcome(srv.client.list(Resources.selfsubjectaccessreviews))).code).toBe(405);
  });

  it('lets steer\'s scheduler and controller manager do their work', async () => {
    const kcm = srv.as('kcm');
    await kcm.create(Resources.pods, 'team-a', pod('from-rs'));
    await kcm.patch(Resources.pods, 'team-a', 'from-rs', { metadata: { labels: { a: 'b' } } });
    await kcm.list(Resources.deployments);
    await kcm.create(Resources.leases, 'kube-system', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'steer-controller-manager' }, spec: {} });
    // The aggregation controller needs to write rules it does not hold.
    const view = await kcm.get<ClusterRole>(Resources.clusterroles, undefined, 'view');
    await kcm.update(Resources.clusterroles, { ...view, rules: [...(view.rules ?? []), { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get'] }] });
    const sched = srv.as('scheduler');
    await sched.create(Resources.pods, 'team-a', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'from-rs' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' } }, { name: 'from-rs', subresource: 'binding' });
    expect((await outcome(sched.create(Resources.pods, 'team-a', pod('x')))).code).toBe(403);
  });
});
