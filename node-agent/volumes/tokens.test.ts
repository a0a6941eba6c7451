// The token manager: the kubelet's refresh rule (80% of the lifetime or 24 h), its cache per pod and
// audience, keeping a still-valid token when a renewal fails, and forgetting a pod's tokens.
import { requiresRefresh, ServiceAccountTokenManager, type TokenRequestSpec, type TokenRequestStatus } from './tokens';

const spec = (uid = 'u1', audiences: string[] = []): TokenRequestSpec => ({ audiences, expirationSeconds: 3600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid } });
const T0 = Date.parse('2026-01-01T00:00:00Z');

test('refresh after 80% of the lifetime, or 24 hours, less the jitter', () => {
  const status = { token: 't', expirationTimestamp: new Date(T0 + 3600_000).toISOString() };
  expect(requiresRefresh(spec(), status, T0 + 2879_000, 0)).toBe(false);
  expect(requiresRefresh(spec(), status, T0 + 2881_000, 0)).toBe(true);
  expect(requiresRefresh(spec(), status, T0 + 2875_000, 10_000)).toBe(true);
  const year = { ...spec(), expirationSeconds: 365 * 86400 };
  const long = { token: 't', expirationTimestamp: new Date(T0 + 365 * 86400_000).toISOString() };
  expect(requiresRefresh(year, long, T0 + 23 * 3600_000, 0)).toBe(false);
  expect(requiresRefresh(year, long, T0 + 24 * 3600_000 + 1, 0)).toBe(true);
});

test('cached per pod and audience, renewed when due, kept when renewal fails but it is still valid', async () => {
  let now = T0;
  let n = 0;
  let fail = false;
  const requests: Array<[string, string, TokenRequestSpec]> = [];
  const m = new ServiceAccountTokenManager(
    async (ns, sa, s): Promise<TokenRequestStatus> => {
      requests.push([ns, sa, s]);
      if (fail) throw new Error('apiserver down');
      return { token: `tok-${++n}`, expirationTimestamp: new Date(now + s.expirationSeconds * 1000).toISOString() };
    },
    { now: () => now },
  );
  expect((await m.getServiceAccountToken('ns', 'sa', spec())).token).toBe('tok-1');
  expect((await m.getServiceAccountToken('ns', 'sa', spec())).token).toBe('tok-1');
  expect((await m.getServiceAccountToken('ns', 'sa', spec('u1', ['vault']))).token).toBe('tok-2');
  expect((await m.getServiceAccountToken('ns', 'sa', spec('u2'))).token).toBe('tok-3');
  expect(requests[0]).toEqual(['ns', 'sa', spec()]);
  now += 3000_000; // past 80%
  expect((await m.getServiceAccountToken('ns', 'sa', spec())).token).toBe('tok-4');
  now += 3000_000;
  fail = true;
  expect((await m.getServiceAccountToken('ns', 'sa', spec())).token).toBe('tok-4'); // still valid
  now += 700_000;
  await expect(m.getServiceAccountToken('ns', 'sa', spec())).rejects.toThrow(/expired and refresh failed: apiserver down/);
  await expect(m.getServiceAccountToken('ns', 'other', spec())).rejects.toThrow('failed to fetch token: apiserver down');
  expect(m.size).toBe(3);
  m.deleteServiceAccountTokens('u1');
  expect(m.size).toBe(1);
});

test('asked again while its request is under way: one request, shared; not cached for a pod forgotten meanwhile', async () => {
  const answers: Array<(s: TokenRequestStatus) => void> = [];
  const m = new ServiceAccountTokenManager(() => new Promise<TokenRequestStatus>((resolve) => answers.push(resolve)), { now: () => T0 });
  const status = { token: 'tok', expirationTimestamp: new Date(T0 + 3600_000).toISOString() };
  const first = m.getServiceAccountToken('ns', 'sa', spec());
  const second = m.getServiceAccountToken('ns', 'sa', spec());
  expect(answers).toHaveLength(1);
  answers[0](status);
  expect(await first).toEqual(status);
  expect(await second).toEqual(status);
  expect(m.size).toBe(1);
  m.deleteServiceAccountTokens('u1');

  const third = m.getServiceAccountToken('ns', 'sa', spec());
  expect(answers).toHaveLength(2);
  m.deleteServiceAccountTokens('u1'); // the pod went away while its token was being asked for
  answers[1](status);
  expect(await third).toEqual(status);
  expect(m.size).toBe(0);
  m.getServiceAccountToken('ns', 'sa', spec()).catch(() => undefined);
  expect(answers).toHaveLength(3); // a new request, not the forgotten one
});

test('a failed request is not kept: the next ask sends another', async () => {
  let n = 0;
  const m = new ServiceAccountTokenManager(async () => {
    if (++n === 1) throw new Error('apiserver down');
    return { token: 'tok', expirationTimestamp: new Date(T0 + 3600_000).toISOString() };
  }, { now: () => T0 });
  await expect(m.getServiceAccountToken('ns', 'sa', spec())).rejects.toThrow('failed to fetch token: apiserver down');
  expect((await m.getServiceAccountToken('ns', 'sa', spec())).token).toBe('tok');
  expect(n).toBe(2);
});
