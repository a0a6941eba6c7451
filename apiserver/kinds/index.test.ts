import { allResources, Resources } from '../../lib/api/resources';
import type { KObj } from '../storage/types';
import { kindStrategies, strategyFor } from '.';

const withFlag = (flag: 'generationTracked' | 'allowCreateOnUpdate' | 'returnDeletedObject' | 'deletedByController') =>
  kindStrategies.filter((s) => s[flag]).map((s) => s.resource.resource).sort();

describe('the strategy table', () => {
  it('has one strategy for every resource lib/api serves, and no other', () => {
    expect(kindStrategies).toHaveLength(allResources.length);
    for (const rt of allResources) expect(strategyFor(rt).resource).toBe(rt);
  });

  it('refuses a resource it does not know', () => {
    expect(() => strategyFor({ ...Resources.pods, group: 'example.com' })).toThrow(/no strategy for example.com\/pods/);
  });

  it('carries the flags the registry used to keep in sets and branches', () => {
    expect(withFlag('generationTracked')).toEqual(['cronjobs', 'customresourcedefinitions', 'daemonsets', 'deployments', 'ingressclasses', 'ingresses', 'jobs', 'mutatingwebhookconfigurations', 'networkpolicies', 'poddisruptionbudgets', 'replicasets', 'replicationcontrollers', 'statefulsets', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'validatingwebhookconfigurations']);
    expect(withFlag('allowCreateOnUpdate')).toEqual(['endpoints', 'events', 'leases']);
    expect(withFlag('returnDeletedObject')).toEqual(['pods']);
    expect(withFlag('deletedByController')).toEqual(['namespaces']);
    // Only Events stay out of the storage's memory, as kube-apiserver caches no Events.
    expect(kindStrategies.filter((s) => s.cacheObjects === false).map((s) => s.resource.resource)).toEqual(['events']);
    expect(strategyFor(Resources.namespaces).nameRule).toBe('label');
    expect(strategyFor(Resources.services).nameRule).toBe('dns1035');
    // RBAC and CSR names are path segments (system:node); the reviews have none.
    expect(kindStrategies.filter((s) => s.nameRule === 'path').map((s) => s.resource.resource).sort()).toEqual(['certificatesigningrequests', 'clusterrolebindings', 'clusterroles', 'rolebindings', 'roles']);
    expect(kindStrategies.filter((s) => s.nameRule === 'none')).toHaveLength(4);
    expect(kindStrategies.filter((s) => s.nameRule === 'subdomain')).toHaveLength(allResources.length - 11);
  });

  it('replaces the status a create sends for kinds with a status subresource, nodes excepted', () => {
    const created = (s: (typeof kindStrategies)[number]): KObj => {
      const obj: KObj = { metadata: {}, status: { sent: 'by the client' } };
      s.prepareForCreate?.(obj);
      return obj;
    };
    for (const s of kindStrategies) {
      const keepsStatus = !s.resource.subresources.includes('status') || s.resource === Resources.nodes;
      if (keepsStatus) expect(created(s).status).toEqual({ sent: 'by the client' });
      else expect(created(s).status).not.toHaveProperty('sent');
    }
    expect(created(strategyFor(Resources.pods)).status).toEqual({ phase: 'Pending' });
    expect(created(strategyFor(Resources.namespaces)).status).toEqual({ phase: 'Active' });
    expect(created(strategyFor(Resources.services)).status).toEqual({ loadBalancer: {} });
    expect(created(strategyFor(Resources.deployments)).status).toEqual({});
    // Each create gets a status of its own, never one shared with earlier objects.
    const pods = strategyFor(Resources.pods);
    expect(created(pods).status).not.toBe(created(pods).status);
  });

  it('gives a scheduled pod its grace period and deletes others at once', () => {
    const grace = strategyFor(Resources.pods).deleteGracePeriod!;
    expect(grace({ metadata: {}, spec: {} }, undefined)).toBe(0);
    expect(grace({ metadata: {}, spec: { nodeName: 'n1' } }, undefined)).toBe(30);
    expect(grace({ metadata: {}, spec: { nodeName: 'n1', terminationGracePeriodSeconds: 5 } }, undefined)).toBe(5);
    expect(grace({ metadata: {}, spec: { nodeName: 'n1' } }, 2)).toBe(2);
    expect(grace({ metadata: {}, spec: { nodeName: 'n1' }, status: { phase: 'Succeeded' } }, 2)).toBe(0);
  });
});
