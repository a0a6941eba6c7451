// Audit on a real apiserver: a policy file selects levels per user, resource, verb, namespace and URL,
// and --audit-log-path gets one audit.k8s.io/v1 Event per line and stage, with the authorizer's
// decision and reason, request and response bodies at the levels that carry them, and a line for a
// request that fails authentication.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Resources } from '../../lib/api/resources';
import { KubeClient } from '../../lib/client/client';
import { outcome, type SecuredApiServer, startSecuredApiServer } from '../helpers/identities';

const policy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  users: ["quiet"]
- level: RequestResponse
  resources:
  - group: ""
    resources: ["configmaps"]
- level: Metadata
  resources:
  - group: ""
    resources: ["secrets"]
- level: Request
  verbs: ["create", "delete"]
  namespaces: ["audited"]
- level: Metadata
  nonResourceURLs: ["/version", "/api*"]
- level: Metadata
  verbs: ["watch"]
  resources:
  - group: ""
    resources: ["pods"]
  omitStages: []
- level: Metadata
  userGroups: ["system:unauthenticated"]
- level: Metadata
  verbs: ["list"]
`;

interface AuditEvent {
  kind: string;
  apiVersion: string;
  level: string;
  auditID: string;
  stage: string;
  requestURI: string;
  verb: string;
  user: { username?: string; uid?: string; groups?: string[] };
  sourceIPs: string[];
  userAgent?: string;
  objectRef?: Record<string, string>;
  responseStatus?: { code: number; message?: string; reason?: string; status?: string };
  requestObject?: Record<string, unknown>;
  responseObject?: Record<string, unknown>;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

describe('audit', () => {
  let srv: SecuredApiServer;
  let dir: string;
  let logPath: string;
  const events = (): AuditEvent[] =>
    fs
      .readFileSync(logPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-audit-'));
    const policyFile = path.join(dir, 'policy.yaml');
    fs.writeFileSync(policyFile, policy);
    logPath = path.join(dir, 'log', 'audit.log');
    srv = await startSecuredApiServer(
      {
        admin: { user: 'admin', groups: ['system:masters'] },
        jane: { user: 'jane', groups: ['devs'] },
        quiet: { user: 'quiet', groups: ['system:masters'] },
      },
      { audit: { policyFile, logPath } },
    );
    await srv.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'audited' } });
  });
  afterAll(async () => {
    await srv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes the log owner-only, one Event per line', async () => {
    await srv.client.create(Resources.configmaps, 'audited', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'first' } });
    expect(fs.statSync(logPath).mode & 0o777).toBe(0o600);
    const ev = events().find((e) => e.objectRef?.resource === 'configmaps' && e.verb === 'create')!;
    expect(ev).toMatchObject({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'RequestResponse', stage: 'ResponseComplete' });
    // The namespace's create matched no rule (it is cluster-scoped: no namespace of its own).
    expect(events().some((e) => e.objectRef?.resource === 'namespaces')).toBe(false);
  });

  it('logs RequestResponse with both bodies, Metadata without, and None not at all', async () => {
    const before = events().length;
    await srv.client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: '1' } });
    await srv.client.create(Resources.secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { password: 'hunter2' } });
    await srv.as('quiet').create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'quiet' } });
    const got = events().slice(before);
    expect(got).toHaveLength(2);
    const [cm, secret] = got;
    expect(cm).toMatchObject({
      level: 'RequestResponse',
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/default/configmaps',
      verb: 'create',
      user: { username: 'admin', uid: 'uid-0', groups: ['system:masters', 'system:authenticated'] },
      sourceIPs: ['127.0.0.1'],
      objectRef: { resource: 'configmaps', namespace: 'default', name: 'cm', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 201 },
      requestObject: { kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: '1' } },
      responseObject: { kind: 'ConfigMap', metadata: expect.objectContaining({ name: 'cm', uid: expect.any(String) }) },
      annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
    });
    expect(cm.auditID).toMatch(/^[0-9a-f-]{36}$/);
    expect(cm.requestReceivedTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Date.parse(cm.stageTimestamp)).toBeGreaterThanOrEqual(Date.parse(cm.requestReceivedTimestamp));
    expect(secret).toMatchObject({ level: 'Metadata', objectRef: { resource: 'secrets', name: 's' } });
    expect(secret.requestObject).toBeUndefined();
    expect(JSON.stringify(secret)).not.toContain('hunter2');
  });

  it('records RBAC\'s decision and reason, and the Forbidden status', async () => {
    const before = events().length;
    expect((await outcome(srv.as('jane').create(Resources.pods, 'audited', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } }))).code).toBe(403);
    await srv.client.create(Resources.rolebindings, 'audited', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'devs-edit' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' }],
    });
    await srv.as('jane').create(Resources.pods, 'audited', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    const got = events().slice(before).filter((e) => e.objectRef?.resource === 'pods');
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({
      level: 'Request',
      user: { username: 'jane', groups: ['devs', 'system:authenticated'] },
      responseStatus: {
        metadata: {},
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
        message: 'pods is forbidden: User "jane" cannot create resource "pods" in API group "" in the namespace "audited"',
      },
      annotations: { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' },
    });
    // Refused before its body was read, as in kube: no request object.
    expect(got[0].requestObject).toBeUndefined();
    expect(got[1]).toMatchObject({
      responseStatus: { code: 201 },
      requestObject: { kind: 'Pod', metadata: { name: 'p' } },
      objectRef: { resource: 'pods', namespace: 'audited', name: 'p' },
      annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by RoleBinding "devs-edit/audited" of ClusterRole "edit" to Group "devs"' },
    });
    expect(got[1].responseObject).toBeUndefined();
  });

  it('logs non-resource URLs by path, and a long-running watch when it starts and ends', async () => {
    const before = events().length;
    await srv.client.request('GET', '/version');
    const controller = new AbortController();
    const url = `${srv.url}/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=1`;
    const res = await fetch(url, { headers: { Authorization: 'Bearer admin' }, signal: controller.signal });
    await res.text();
    const got = events().slice(before);
    expect(got[0]).toMatchObject({ verb: 'get', requestURI: '/version', stage: 'ResponseComplete', responseStatus: { code: 200 } });
    expect(got[0].objectRef).toBeUndefined();
    const watch = got.filter((e) => e.verb === 'watch');
    // The policy's omitStages hold for every rule (a rule can only add to them).
    expect(watch.map((e) => e.stage)).toEqual(['ResponseStarted', 'ResponseComplete']);
    expect(watch[0].responseStatus).toEqual({ metadata: {}, code: 200 });
    expect(new Set(watch.map((e) => e.auditID)).size).toBe(1);
  });

  it('logs a request that fails authentication, without a user', async () => {
    const before = events().length;
    const bad = KubeClient.forServer(srv.url, 'wrong-token');
    expect((await outcome(bad.list(Resources.pods))).code).toBe(401);
    bad.close();
    const got = events().slice(before);
    expect(got).toEqual([
      expect.objectContaining({ stage: 'ResponseStarted', user: {}, verb: 'list', responseStatus: { metadata: {}, message: 'Authentication failed, attempted: bearer', code: 401 } }),
    ]);
  });

  it('echoes the Audit-ID a client sends', async () => {
    const res = await fetch(`${srv.url}/api`, { headers: { Authorization: 'Bearer admin', 'Audit-ID': 'my-id-1' } });
    expect(res.headers.get('audit-id')).toBe('my-id-1');
    await res.text();
    expect(events().some((e) => e.auditID === 'my-id-1' && e.requestURI === '/api')).toBe(true);
  });
});
