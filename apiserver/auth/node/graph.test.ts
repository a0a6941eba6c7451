import type { Pod } from 'kubernetes-types/core/v1';
import type { KObj } from '../../storage/types';
import { NodeGraph, podReferences } from './graph';
import { forbiddenNodeLabels } from './restriction';

const pod = (name: string, nodeName: string | undefined, spec: Partial<Pod['spec']> = {}): KObj =>
  ({ metadata: { name, namespace: 'ns' }, spec: { nodeName, containers: [{ name: 'c' }], ...spec } }) as unknown as KObj;

describe('the node graph', () => {
  it('finds every reference a pod makes', () => {
    const p = pod('p', 'n1', {
      serviceAccountName: 'sa',
      imagePullSecrets: [{ name: 'pull' }],
      initContainers: [{ name: 'i', envFrom: [{ secretRef: { name: 'init-env' } }] }],
      containers: [{ name: 'c', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm-env', key: 'k' } } }], envFrom: [{ configMapRef: { name: 'cm-from' } }] }],
      volumes: [
        { name: 'v1', secret: { secretName: 'vol' } },
        { name: 'v2', projected: { sources: [{ configMap: { name: 'kube-root-ca.crt' } }, { secret: { name: 'proj' } }] } },
        { name: 'v3', persistentVolumeClaim: { claimName: 'data' } },
        { name: 'v4', ephemeral: { volumeClaimTemplate: { spec: {} } } },
        { name: 'v5', csi: { driver: 'd', nodePublishSecretRef: { name: 'csi' } } },
      ],
    }) as unknown as Pod;
    expect(podReferences(p)).toEqual([
      ['secret', 'pull'],
      ['secret', 'init-env'],
      ['configmap', 'cm-env'],
      ['configmap', 'cm-from'],
      ['secret', 'vol'],
      ['configmap', 'kube-root-ca.crt'],
      ['secret', 'proj'],
      ['pvc', 'data'],
      ['pvc', 'p-v4'],
      ['secret', 'csi'],
      ['serviceaccount', 'sa'],
    ]);
  });

  it('counts shared references per node and drops them with the last pod', () => {
    const g = new NodeGraph();
    const withSecret = (name: string, node?: string) => pod(name, node, { volumes: [{ name: 'v', secret: { secretName: 'shared' } }] });
    g.apply('ADDED', withSecret('a'));
    expect(g.hasPath('n1', 'secret', 'ns', 'shared')).toBe(false);
    g.apply('MODIFIED', withSecret('a', 'n1'));
    g.apply('ADDED', withSecret('b', 'n1'));
    expect(g.hasPath('n1', 'secret', 'ns', 'shared')).toBe(true);
    expect(g.hasPath('n2', 'secret', 'ns', 'shared')).toBe(false);
    expect(g.hasPath('n1', 'secret', 'other', 'shared')).toBe(false);
    g.apply('DELETED', withSecret('a', 'n1'));
    expect(g.hasPath('n1', 'secret', 'ns', 'shared')).toBe(true);
    g.apply('DELETED', withSecret('b', 'n1'));
    expect(g.hasPath('n1', 'secret', 'ns', 'shared')).toBe(false);
  });
});

describe('the labels a node may set on itself', () => {
  it('refuses kubernetes.io and k8s.io labels outside the kubelet set, and node-restriction ones', () => {
    expect(
      forbiddenNodeLabels([
        'kubernetes.io/hostname',
        'topology.kubernetes.io/zone',
        'node.kubernetes.io/instance-type',
        'kubelet.kubernetes.io/x',
        'sub.node.kubernetes.io/y',
        'example.com/disk',
        'plain',
        'node-role.kubernetes.io/master',
        'node-restriction.kubernetes.io/pool',
        'foo.k8s.io/bar',
      ]),
    ).toEqual(['foo.k8s.io/bar', 'node-restriction.kubernetes.io/pool', 'node-role.kubernetes.io/master']);
  });
});
