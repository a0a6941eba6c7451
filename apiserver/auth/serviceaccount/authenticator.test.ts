// The service-account JWT authenticator on its own: tokens signed here with buildClaims/signToken are
// accepted with Kubernetes' user, groups and extra, and refused (with kube's reasons) when expired, for
// another audience, signed by another key, or bound to a pod or service account that is gone or was
// re-created. A token of another issuer, or no JWT, is left to other authenticators.
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KObj } from '../../storage/types';
import { AuthenticationError } from '../types';
import { type BoundKind, ServiceAccountTokenAuthenticator } from './authenticator';
import { generateSigningKey, keyId, loadSigningKey, loadVerificationKeys, verificationKeyOf } from './keys';
import { buildClaims, signToken, unverifiedPayload, type ClaimsInput } from './tokens';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const key = generateSigningKey();
let now = Date.parse('2026-01-01T00:00:00Z');
const objects = new Map<string, KObj>();
const put = (kind: BoundKind, ns: string, name: string, uid: string, extra: Record<string, unknown> = {}) =>
  objects.set(`${kind}/${ns}/${name}`, { metadata: { name, namespace: ns || undefined, uid, ...extra } });

const auth = new ServiceAccountTokenAuthenticator({
  issuers: [ISSUER],
  keys: [verificationKeyOf(key)],
  audiences: [ISSUER],
  getter: (kind, ns, name) => objects.get(`${kind}/${ns}/${name}`),
  now: () => now,
});

function claims(over: Partial<ClaimsInput> = {}): ClaimsInput {
  return {
    issuer: ISSUER,
    namespace: 'team',
    serviceAccount: { name: 'app', uid: 'sa-1' },
    pod: { name: 'web', uid: 'pod-1' },
    node: { name: 'node-a', uid: 'node-1' },
    audiences: [ISSUER],
    expirationSeconds: 3600,
    now,
    ...over,
  };
}

beforeEach(() => {
  objects.clear();
  now = Date.parse('2026-01-01T00:00:00Z');
  put('serviceaccounts', 'team', 'app', 'sa-1');
  put('pods', 'team', 'web', 'pod-1');
});

test('a pod-bound token authenticates as its service account, with the pod and node in extra', async () => {
  const token = await signToken(key, buildClaims(claims()));
  const user = await auth.authenticateToken(token);
  const jti = unverifiedPayload(token)!.jti as string;
  expect(user).toEqual({
    name: 'system:serviceaccount:team:app',
    uid: 'sa-1',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:team'],
    extra: {
      'authentication.kubernetes.io/pod-name': ['web'],
      'authentication.kubernetes.io/pod-uid': ['pod-1'],
      'authentication.kubernetes.io/node-name': ['node-a'],
      'authentication.kubernetes.io/node-uid': ['node-1'],
      'authentication.kubernetes.io/credential-id': [`JTI=${jti}`],
    },
  });
});

test('the claims are the ones Kubernetes writes', async () => {
  const token = await signToken(key, buildClaims(claims({ warnAfterSeconds: 3607, expirationSeconds: 365 * 24 * 3600 })));
  const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as Record<string, unknown>;
  expect(header).toEqual({ alg: 'ES256', kid: key.kid });
  const p = unverifiedPayload(token)!;
  const iat = now / 1000;
  expect(p).toEqual({
    aud: [ISSUER],
    exp: iat + 365 * 24 * 3600,
    iat,
    iss: ISSUER,
    jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    'kubernetes.io': { namespace: 'team', serviceaccount: { name: 'app', uid: 'sa-1' }, pod: { name: 'web', uid: 'pod-1' }, node: { name: 'node-a', uid: 'node-1' }, warnafter: iat + 3607 },
    nbf: iat,
    sub: 'system:serviceaccount:team:app',
  });
});

async function refusal(token: string): Promise<string> {
  try {
    await auth.authenticateToken(token);
  } catch (err) {
    expect(err).toBeInstanceOf(AuthenticationError);
    return (err as Error).message;
  }
  throw new Error('the token was accepted');
}

test('expired tokens are refused after the one-minute leeway', async () => {
  const token = await signToken(key, buildClaims(claims({ expirationSeconds: 600 })));
  now += 600_000 + 59_000;
  expect(await auth.authenticateToken(token)).toBeDefined();
  now += 2_000;
  expect(await refusal(token)).toBe('service account token has expired');
});

test('a token for another audience is refused', async () => {
  const token = await signToken(key, buildClaims(claims({ audiences: ['vault'] })));
  expect(await refusal(token)).toBe(`token audiences ["vault"] is invalid for the target audiences ["${ISSUER}"]`);
});

test('a token signed with another key is refused; another issuer is not ours', async () => {
  const other = generateSigningKey();
  expect(await refusal(await signToken(other, buildClaims(claims())))).toBe('invalid signature on service account token');
  expect(await auth.authenticateToken(await signToken(key, buildClaims(claims({ issuer: 'https://elsewhere' }))))).toBeUndefined();
  expect(await auth.authenticateToken('not-a-jwt')).toBeUndefined();
});

test('deleted or re-created bound objects invalidate the token', async () => {
  const token = await signToken(key, buildClaims(claims()));
  expect(await auth.authenticateToken(token)).toBeDefined();
  // Being deleted: still valid until a minute after the deletion timestamp.
  put('pods', 'team', 'web', 'pod-1', { deletionTimestamp: new Date(now - 30_000).toISOString() });
  expect(await auth.authenticateToken(token)).toBeDefined();
  put('pods', 'team', 'web', 'pod-1', { deletionTimestamp: new Date(now - 61_000).toISOString() });
  expect(await refusal(token)).toBe('service account token has been invalidated');
  put('pods', 'team', 'web', 'pod-2');
  expect(await refusal(token)).toBe('pod UID (pod-2) does not match service account pod ref claim (pod-1)');
  objects.delete('pods/team/web');
  expect(await refusal(token)).toBe('service account token has been invalidated');
  put('pods', 'team', 'web', 'pod-1');
  put('serviceaccounts', 'team', 'app', 'sa-2');
  expect(await refusal(token)).toBe('service account UID (sa-2) does not match claim (sa-1)');
  objects.delete('serviceaccounts/team/app');
  expect(await refusal(token)).toBe('serviceaccounts "app" not found');
});

test('secret-bound tokens follow their secret', async () => {
  const token = await signToken(key, buildClaims(claims({ pod: undefined, node: undefined, secret: { name: 's', uid: 'sec-1' } })));
  expect(await refusal(token)).toBe('service account token has been invalidated');
  put('secrets', 'team', 's', 'sec-1');
  expect((await auth.authenticateToken(token))?.extra).toEqual({ 'authentication.kubernetes.io/credential-id': [expect.stringMatching(/^JTI=/)] });
});

test('RSA and EC keys load from PEM files; every public key verifies', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-sa-keys-'));
  try {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(path.join(dir, 'sa.key'), rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }));
    fs.writeFileSync(path.join(dir, 'sa.pub'), rsa.publicKey.export({ type: 'spki', format: 'pem' }));
    const signing = loadSigningKey(path.join(dir, 'sa.key'));
    expect(signing.alg).toBe('RS256');
    expect(signing.kid).toBe(keyId(rsa.publicKey));
    const [pub] = loadVerificationKeys(path.join(dir, 'sa.pub'));
    expect(pub.kid).toBe(signing.kid);
    const rsaAuth = new ServiceAccountTokenAuthenticator({ issuers: [ISSUER], keys: [verificationKeyOf(key), pub], audiences: [ISSUER], getter: (k, ns, n) => objects.get(`${k}/${ns}/${n}`), now: () => now });
    const token = await signToken(signing, buildClaims(claims()));
    expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString())).toEqual({ alg: 'RS256', kid: signing.kid });
    expect((await rsaAuth.authenticateToken(token))?.name).toBe('system:serviceaccount:team:app');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
