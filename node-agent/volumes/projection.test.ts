// What the volume plugins write: the kube-api-access volume's three files, modes under fsGroup and a
// common runAsUser, downward API values in the kubelet's format, and kube's errors for missing data.
import type { Pod, Volume } from 'kubernetes-types/core/v1';
import { fsUserOf, volumePayload } from './projection';
import { ServiceAccountTokenManager } from './tokens';

const kubeApiAccess: Volume = {
  name: 'kube-api-access-abcde',
  projected: {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  },
};
const pod = (spec: Partial<Pod['spec']> = {}): Pod => ({
  metadata: { name: 'web', namespace: 'team', uid: 'uid-1', labels: { b: '2', a: 'x"y' }, annotations: { note: 'hi' } },
  spec: { serviceAccountName: 'app', containers: [{ name: 'c', image: 'x', resources: { limits: { memory: '64Mi' } } }], ...spec },
});
const data = { configMaps: { 'kube-root-ca.crt': { 'ca.crt': 'PEM' } }, secrets: {} };
const requested: unknown[] = [];
const tokens = new ServiceAccountTokenManager(async (ns, sa, s) => {
  requested.push({ ns, sa, s });
  return { token: 'the-token', expirationTimestamp: new Date(Date.now() + 3607_000).toISOString() };
});

test('the kube-api-access volume: a pod-bound token, ca.crt and the namespace, 0644', async () => {
  const payload = await volumePayload(kubeApiAccess, { pod: pod(), data, tokens });
  expect(payload).toEqual({ token: { data: 'the-token', mode: 0o644 }, 'ca.crt': { data: 'PEM', mode: 0o644 }, namespace: { data: 'team', mode: 0o644 } });
  expect(requested[0]).toEqual({ ns: 'team', sa: 'app', s: { audiences: [], expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: 'uid-1' } } });
  await expect(volumePayload(kubeApiAccess, { pod: pod(), data: { configMaps: {}, secrets: {} }, tokens })).rejects.toThrow('configmap "kube-root-ca.crt" not found');
});

test('the token is 0600 and owned by the common runAsUser; an fsGroup owns every file and adds group read', async () => {
  const asUser = await volumePayload(kubeApiAccess, { pod: pod({ securityContext: { runAsUser: 1000 } }), data, tokens });
  expect(asUser?.token).toEqual({ data: 'the-token', mode: 0o600, uid: 1000 });
  const withGroup = await volumePayload(kubeApiAccess, { pod: pod({ securityContext: { fsGroup: 2000 } }), data, tokens });
  expect(withGroup?.token).toEqual({ data: 'the-token', mode: 0o640, gid: 2000 });
  expect(withGroup?.['ca.crt']).toEqual({ data: 'PEM', mode: 0o644, gid: 2000 });
  expect(fsUserOf(pod({ securityContext: { runAsUser: 1 }, containers: [{ name: 'a', securityContext: { runAsUser: 2 } }, { name: 'b' }] }))).toBeUndefined();
  expect(fsUserOf(pod({ containers: [{ name: 'a', securityContext: { runAsUser: 7 } }] }))).toBe(7);
});

test('downward API values in the kubelet format; configMap and secret items and errors', async () => {
  const v: Volume = {
    name: 'info',
    downwardAPI: {
      items: [
        { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
        { path: 'note', fieldRef: { fieldPath: "metadata.annotations['note']" }, mode: 0o600 },
        { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
      ],
    },
  };
  expect(await volumePayload(v, { pod: pod(), data })).toEqual({ labels: { data: 'a="x\\"y"\nb="2"', mode: 0o644 }, note: { data: 'hi', mode: 0o600 }, mem: { data: '64', mode: 0o644 } });
  const secretVol: Volume = { name: 's', secret: { secretName: 'creds', items: [{ key: 'user', path: 'u' }, { key: 'nope', path: 'n' }] } };
  await expect(volumePayload(secretVol, { pod: pod(), data: { configMaps: {}, secrets: { creds: { user: 'me' } } } })).rejects.toThrow('references non-existent secret key: nope');
  expect(await volumePayload({ name: 'o', configMap: { name: 'missing', optional: true } }, { pod: pod(), data })).toEqual({});
  expect(await volumePayload({ name: 'e', emptyDir: {} }, { pod: pod(), data })).toBeUndefined();
});
