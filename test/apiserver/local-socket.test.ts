// The apiserver's local socket (steer server's in-process components): served without TLS on a Unix
// socket of mode 0600, where each component's own token makes it its own user — RBAC and the Node
// authorizer decide as for its client certificate — and where only: the same token over TCP, or in a
// TokenReview, authenticates no one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pod, Secret } from 'kubernetes-types/core/v1';
import type { TokenReview } from 'kubernetes-types/authentication/v1';
import { ApiError, KubeClient, type WatchEvent } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver';

let dir: string;
let api: TestApiServer;
const socketPath = () => path.join(dir, 'apiserver.sock');
const tokens = { scheduler: 'sched-token-0123456789', node: 'node-token-0123456789' };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-local-socket-'));
  const tokenFile = path.join(dir, 'tokens.csv');
  fs.writeFileSync(tokenFile, 'admin-token,admin,1,"system:masters"\n');
  api = await startTestApiServer({
    token: 'admin-token',
    tokenFile,
    anonymousAuth: false,
    authorizationMode: ['Node', 'RBAC'],
    localSocket: {
      path: path.join(dir, 'apiserver.sock'),
      tokens: new Map([
        [tokens.scheduler, { name: 'system:kube-scheduler', groups: [] }],
        [tokens.node, { name: 'system:node:n1', groups: ['system:nodes'] }],
      ]),
    },
  });
});
afterAll(async () => {
  await api.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const onSocket = (token?: string) => KubeClient.fromCredentials({ server: 'http://localhost', socketPath: socketPath(), token });
const failure = async (p: Promise<unknown>): Promise<ApiError> => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
};

test('the socket is private to its owner', () => {
  const st = fs.statSync(socketPath());
  expect(st.isSocket()).toBe(true);
  expect(st.mode & 0o777).toBe(0o600);
});

test("a component's token makes it its own user on the socket: RBAC and the Node authorizer decide", async () => {
  const sched = onSocket(tokens.scheduler);
  const node = onSocket(tokens.node);
  try {
    await api.client.create<Secret>(Resources.secrets, 'default', { metadata: { name: 's' }, stringData: { k: 'v' } });
    // system:kube-scheduler's default role reads pods, not secrets.
    expect((await sched.list<Pod>(Resources.pods, { namespace: 'default' })).items).toEqual([]);
    const denied = await failure(sched.get(Resources.secrets, 'default', 's'));
    expect(denied.code).toBe(403);
    expect(denied.message).toContain('"system:kube-scheduler"');
    // The Node authorizer: a node reads only the secrets of pods bound to it.
    const nodeDenied = await failure(node.get(Resources.secrets, 'default', 's'));
    expect(nodeDenied.code).toBe(403);
    expect(nodeDenied.message).toContain('"system:node:n1"');
    // A watch runs over the socket too, as its user.
    const events: Array<WatchEvent<Pod>> = [];
    const seen = new Promise<void>((resolve, reject) => {
      void sched.watch<Pod>(Resources.pods, { namespace: 'default' }, (e) => {
        events.push(e);
        resolve();
      }, (err) => err && reject(err)).then((h) => seen.finally(() => h.stop()));
    });
    await api.client.create<Pod>(Resources.pods, 'default', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    await seen;
    expect(events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'p' } } });
  } finally {
    sched.close();
    node.close();
  }
});

test('no token, or an unknown one, is 401 on the socket', async () => {
  for (const token of [undefined, 'not-a-component-token']) {
    const c = onSocket(token);
    expect((await failure(c.list(Resources.pods, { namespace: 'default' }))).code).toBe(401);
    c.close();
  }
});

test("a component's token is valid on the socket only: not over TCP, not in a TokenReview", async () => {
  const overTcp = KubeClient.forServer(api.url, tokens.scheduler);
  try {
    expect((await failure(overTcp.list(Resources.pods, { namespace: 'default' }))).code).toBe(401);
  } finally {
    overTcp.close();
  }
  const review = await api.client.create<TokenReview>(Resources.tokenreviews, undefined, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    spec: { token: tokens.scheduler },
  });
  expect(review.status?.authenticated).toBeFalsy();
  // The token file's tokens still authenticate on the socket (it is the same API).
  const admin = onSocket('admin-token');
  expect((await admin.get<Secret>(Resources.secrets, 'default', 's')).metadata?.name).toBe('s');
  admin.close();
});

test('a client on the socket names its server with an http:// URL', () => {
  expect(() => KubeClient.fromCredentials({ server: 'https://localhost', socketPath: socketPath(), token: 't' })).toThrow(/http:\/\//);
});
