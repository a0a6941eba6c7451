import { KeyLayout, prefixEnd } from './keys';

test('prefixEnd is the first key after every key with the prefix', () => {
  expect(prefixEnd(Buffer.from('/registry/')).toString()).toBe('/registry0');
  expect([...prefixEnd(Buffer.from([0x61, 0xff, 0xff]))]).toEqual([0x62]);
  expect([...prefixEnd(Buffer.from([0xff]))]).toEqual([0]);
});

test('object keys map back to bucket and key, kube-apiserver style', () => {
  const l = new KeyLayout('/registry', ['apps/deployments', 'rbac.authorization.k8s.io/clusterroles', 'pods']);
  expect(l.objectKey('pods', 'default/web')).toBe('/registry/pods/default/web');
  expect(l.decode('/registry/pods/default/web')).toEqual({ bucket: 'pods', key: 'default/web' });
  expect(l.decode('/registry/namespaces/default')).toEqual({ bucket: 'namespaces', key: 'default' });
  expect(l.decode('/registry/apps/deployments/default/web')).toEqual({ bucket: 'apps/deployments', key: 'default/web' });
  // Three segments: a known bucket decides, else whether the object has a namespace.
  expect(l.decode('/registry/rbac.authorization.k8s.io/clusterroles/admin')).toEqual({ bucket: 'rbac.authorization.k8s.io/clusterroles', key: 'admin' });
  expect(l.decode('/registry/configmaps/default/x', () => true)).toEqual({ bucket: 'configmaps', key: 'default/x' });
  expect(l.decode('/registry/batch.example/widgets/x', () => false)).toEqual({ bucket: 'batch.example/widgets', key: 'x' });
  // The storage's own keys and foreign shapes are no objects.
  expect(l.decode('/registry/compact_rev_key')).toBeUndefined();
  expect(l.decode('/registry/a/b/c/d/e')).toBeUndefined();
  expect(l.decode('/other/pods/default/web')).toBeUndefined();
  expect(l.internalKey('compact_rev_key')).toBe('/registry/compact_rev_key');
});

test('a custom prefix, and buckets learned as they are used', () => {
  const l = new KeyLayout('/steer/');
  expect(l.root).toBe('/steer/');
  l.learn('policy/poddisruptionbudgets');
  expect(l.decode('/steer/policy/poddisruptionbudgets/x', () => true)).toEqual({ bucket: 'policy/poddisruptionbudgets', key: 'x' });
  expect(() => l.learn('a/b/c')).toThrow();
  expect(() => new KeyLayout('registry')).toThrow();
});
