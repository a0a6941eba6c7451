// `steer create token` against an RBAC apiserver, and the web console's admin ServiceAccount that
// `steer server` makes: the token printed alone, as `kubectl create token`; it authenticates as the
// ServiceAccount with the rights of its bindings (console-admin: cluster-admin); --duration asks for
// its lifetime; who may not create the ServiceAccount's tokens gets the API's 403.
import { bufferStreams } from '../../cli/io';
import { runCreateToken } from '../../cli/verbs/create';
import { CONSOLE_ADMIN, ensureConsoleAdmin } from '../../cli/cluster/authorization';
import { ApiError } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { type SecuredApiServer, outcome, startSecuredApiServer } from '../helpers/identities';

jest.setTimeout(60_000);

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as { sub: string; exp: number; iat: number; aud: string[] };

describe('steer create token and the console admin', () => {
  let srv: SecuredApiServer;
  beforeAll(async () => {
    srv = await startSecuredApiServer({ admin: { user: 'admin', groups: ['system:masters'] }, nobody: { user: 'nobody' } });
  });
  afterAll(() => srv.stop());

  test('console-admin: made once (again is a no-op), its token is cluster-admin', async () => {
    expect(await ensureConsoleAdmin(srv.client)).toBe(true);
    expect(await ensureConsoleAdmin(srv.client)).toBe(true);
    const s = bufferStreams();
    await runCreateToken(srv.client, [CONSOLE_ADMIN.name], { namespace: CONSOLE_ADMIN.namespace, duration: '24h', audiences: [] }, s);
    expect(s.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const token = s.stdout.trim();
    const c = claims(token);
    expect(c.sub).toBe('system:serviceaccount:kube-system:console-admin');
    expect(c.exp - c.iat).toBe(24 * 3600);
    const asAdmin = srv.as(token);
    // cluster-admin: cluster-scoped reads and writes anywhere.
    await asAdmin.list(Resources.nodes);
    await asAdmin.create(Resources.namespaces, undefined, { metadata: { name: 'made-by-console-admin' } });
    const who = await asAdmin.request<{ status: { userInfo: { username: string; groups: string[] } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    expect(who.status.userInfo.username).toBe('system:serviceaccount:kube-system:console-admin');
  });

  test('the server default lifetime, audiences, and the errors kubectl gives', async () => {
    const s = bufferStreams();
    await runCreateToken(srv.client, [CONSOLE_ADMIN.name], { namespace: CONSOLE_ADMIN.namespace, audiences: ['a', 'b'] }, s);
    const c = claims(s.stdout.trim());
    expect(c.exp - c.iat).toBe(3600);
    expect(c.aud).toEqual(['a', 'b']);
    const fail = (names: string[], o: { namespace?: string; duration?: string } = {}) =>
      runCreateToken(srv.client, names, { namespace: o.namespace ?? CONSOLE_ADMIN.namespace, duration: o.duration, audiences: [] }, bufferStreams());
    await expect(fail([])).rejects.toThrow('exactly one NAME is required, got 0');
    await expect(fail([CONSOLE_ADMIN.name], { duration: '1.5s' })).rejects.toThrow('--duration must be an even multiple of seconds');
    await expect(fail([CONSOLE_ADMIN.name], { duration: 'soon' })).rejects.toThrow('invalid duration "soon"');
    const missing = await outcome(fail(['nope']));
    expect(missing).toEqual({ code: 404, message: 'serviceaccounts "nope" not found' });
    // Only who may create the ServiceAccount's tokens gets one.
    const denied = await runCreateToken(srv.as('nobody'), [CONSOLE_ADMIN.name], { namespace: CONSOLE_ADMIN.namespace, audiences: [] }, bufferStreams()).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(ApiError);
    expect((denied as ApiError).code).toBe(403);
    expect((denied as ApiError).status.message).toBe('serviceaccounts "console-admin" is forbidden: User "nobody" cannot create resource "serviceaccounts/token" in API group "" in the namespace "kube-system"');
  });
});
