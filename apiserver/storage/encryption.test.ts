// The EncryptionConfiguration reader and its transformer on their own: kube-apiserver's prefixes, the
// first provider writing and every provider reading, AES-GCM binding a value to its key, identity's place
// in the list, resource patterns, and the configuration errors.
import { parseEncryptionConfiguration } from './encryption';

const k32 = (c: string) => Buffer.alloc(32, c).toString('base64');
const k16 = (c: string) => Buffer.alloc(16, c).toString('base64');

function config(resources: string[], providers: unknown[]): string {
  return JSON.stringify({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources: [{ resources, providers }] });
}

const plain = Buffer.from('{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}');

test('aesgcm writes with its first key and kube’s prefix; values are bound to their storage key', () => {
  const t = parseEncryptionConfiguration(config(['secrets'], [{ aesgcm: { keys: [{ name: 'key1', secret: k32('a') }, { name: 'old', secret: k16('b') }] } }]));
  expect(t.covers('secrets')).toBe(true);
  expect(t.covers('configmaps')).toBe(false);
  const enc = t.toStorage('secrets', 'o!secrets!ns/s', plain);
  expect(enc.subarray(0, 23).toString()).toBe('k8s:enc:aesgcm:v1:key1:');
  expect(enc.includes(Buffer.from('aHVudGVyMg=='))).toBe(false);
  expect(enc.length).toBe(23 + 12 + plain.length + 16);
  expect(t.fromStorage('secrets', 'o!secrets!ns/s', enc)).toEqual(plain);
  // The same bytes under another key fail authentication.
  expect(() => t.fromStorage('secrets', 'o!secrets!ns/other', enc)).toThrow();
  // Two writes of the same value differ (random nonces).
  expect(t.toStorage('secrets', 'o!secrets!ns/s', plain).equals(enc)).toBe(false);
  // Resources outside the configuration are stored as they are.
  expect(t.toStorage('configmaps', 'o!configmaps!ns/c', plain)).toEqual(plain);
});

test('rotation: a new first key writes, the older keys and providers still read', () => {
  const before = parseEncryptionConfiguration(config(['secrets'], [{ aescbc: { keys: [{ name: 'k1', secret: k32('c') }] } }, { identity: {} }]));
  const oldValue = before.toStorage('secrets', 'ctx', plain);
  expect(oldValue.subarray(0, 21).toString()).toBe('k8s:enc:aescbc:v1:k1:');
  expect((oldValue.length - 21) % 16).toBe(0);
  const after = parseEncryptionConfiguration(config(['secrets'], [{ aesgcm: { keys: [{ name: 'k2', secret: k32('d') }] } }, { aescbc: { keys: [{ name: 'k1', secret: k32('c') }] } }, { identity: {} }]));
  expect(after.fromStorage('secrets', 'ctx', oldValue)).toEqual(plain);
  expect(after.fromStorage('secrets', 'ctx', plain)).toEqual(plain); // written before encryption was on
  expect(after.toStorage('secrets', 'ctx', plain).subarray(0, 21).toString()).toBe('k8s:enc:aesgcm:v1:k2:');
  // Without identity, plain data is unreadable; without the old key, old data is.
  const strict = parseEncryptionConfiguration(config(['secrets'], [{ aesgcm: { keys: [{ name: 'k2', secret: k32('d') }] } }]));
  expect(() => strict.fromStorage('secrets', 'ctx', plain)).toThrow(/plain data, and identity is not listed/);
  expect(() => strict.fromStorage('secrets', 'ctx', oldValue)).toThrow(/unknown key or provider/);
});

test('identity first stores plain data and still reads encrypted data', () => {
  const t = parseEncryptionConfiguration(config(['secrets'], [{ identity: {} }, { aesgcm: { keys: [{ name: 'k', secret: k32('e') }] } }]));
  expect(t.covers('secrets')).toBe(false);
  const enc = parseEncryptionConfiguration(config(['secrets'], [{ aesgcm: { keys: [{ name: 'k', secret: k32('e') }] } }])).toStorage('secrets', 'ctx', plain);
  expect(t.fromStorage('secrets', 'ctx', enc)).toEqual(plain);
});

test('resource patterns', () => {
  const t = parseEncryptionConfiguration(
    JSON.stringify({
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'EncryptionConfiguration',
      resources: [
        { resources: ['secrets', 'deployments.apps'], providers: [{ aesgcm: { keys: [{ name: 'a', secret: k32('f') }] } }] },
        { resources: ['*.batch'], providers: [{ aesgcm: { keys: [{ name: 'b', secret: k32('g') }] } }] },
      ],
    }),
  );
  expect(['secrets', 'apps/deployments', 'batch/jobs'].map((b) => t.covers(b))).toEqual([true, true, true]);
  expect(['configmaps', 'apps/replicasets', 'pods'].map((b) => t.covers(b))).toEqual([false, false, false]);
  const all = parseEncryptionConfiguration(config(['*.*'], [{ aesgcm: { keys: [{ name: 'a', secret: k32('f') }] } }]));
  expect(all.covers('pods') && all.covers('coordination.k8s.io/leases')).toBe(true);
});

test('configuration errors say what is wrong', () => {
  expect(() => parseEncryptionConfiguration(config(['secrets'], [{ aesgcm: { keys: [{ name: 'k', secret: Buffer.alloc(20).toString('base64') }] } }]))).toThrow(
    'aesgcm key "k": secret is not of the expected length, got 20, expected one of 16, 24, 32',
  );
  expect(() => parseEncryptionConfiguration(config(['secrets'], [{ secretbox: { keys: [{ name: 'k', secret: k32('a') }] } }]))).toThrow(/secretbox provider is not supported/);
  expect(() => parseEncryptionConfiguration(config(['secrets'], [{ kms: {} }]))).toThrow(/kms provider is not supported/);
  expect(() => parseEncryptionConfiguration(config(['secrets'], []))).toThrow(/at least one provider/);
  expect(() => parseEncryptionConfiguration('kind: Other')).toThrow(/kind must be EncryptionConfiguration/);
  // YAML, as kube-apiserver's docs write it.
  const yaml = `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
    providers:
      - aescbc:
          keys:
            - name: key1
              secret: ${k32('h')}
      - identity: {}
`;
  expect(parseEncryptionConfiguration(yaml).covers('secrets')).toBe(true);
});
