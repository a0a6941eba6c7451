import { findResource, resourceForKind, resourcePath, Resources } from './resources';

describe('resource table', () => {
  test.each([
    ['po', 'pods'],
    ['pod', 'pods'],
    ['Pods', 'pods'],
    ['deploy', 'deployments'],
    ['deployments.apps', 'deployments'],
    ['Deployment', 'deployments'],
    ['svc', 'services'],
    ['rs', 'replicasets'],
    ['ns', 'namespaces'],
  ])('finds %s as %s', (name, plural) => {
    expect(findResource(name)?.resource).toBe(plural);
  });

  test('rejects unknown names and wrong groups', () => {
    expect(findResource('widgets')).toBeUndefined();
    expect(findResource('deployments.batch')).toBeUndefined();
  });

  test('builds core, group, namespaced and cluster paths', () => {
    expect(resourcePath(Resources.pods, { namespace: 'default', name: 'web', subresource: 'status' })).toBe(
      '/api/v1/namespaces/default/pods/web/status',
    );
    expect(resourcePath(Resources.pods)).toBe('/api/v1/pods');
    expect(resourcePath(Resources.deployments, { namespace: 'a', name: 'b', subresource: 'scale' })).toBe(
      '/apis/apps/v1/namespaces/a/deployments/b/scale',
    );
    expect(resourcePath(Resources.nodes, { namespace: 'ignored', name: 'n1' })).toBe('/api/v1/nodes/n1');
  });

  test('maps apiVersion and kind to a resource', () => {
    expect(resourceForKind('apps/v1', 'Deployment')).toBe(Resources.deployments);
    expect(resourceForKind('v1', 'Service')).toBe(Resources.services);
    expect(resourceForKind('v1', 'Deployment')).toBeUndefined();
  });
});
