import { PatchError, strategicMergePatch } from './strategic-merge';

const lastApplied = (replicas: number): string =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { annotations: {}, labels: { app: 'nginx' }, name: 'nginx', namespace: 'default' },
    spec: { replicas, selector: { matchLabels: { app: 'nginx' } } },
  }) + '\n';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'nginx',
    namespace: 'default',
    labels: { app: 'nginx' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied(1) },
    finalizers: ['a'],
  },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'nginx' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'nginx' } },
      spec: {
        containers: [
          {
            name: 'nginx',
            image: 'nginx:1.25',
            ports: [{ containerPort: 80, protocol: 'TCP' }],
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
          { name: 'sidecar', image: 'busybox' },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
        tolerations: [{ key: 'x', operator: 'Exists' }],
      },
    },
  },
  status: { conditions: [{ type: 'Available', status: 'True' }, { type: 'Progressing', status: 'True' }] },
};

type Case = [name: string, kind: string, original: unknown, patch: unknown, want: unknown];

// Returns a copy of the deployment with `edit` applied to it.
function dep(edit: (d: typeof deployment) => void): unknown {
  const d = JSON.parse(JSON.stringify(deployment)) as typeof deployment;
  edit(d);
  return d;
}

const cases: Case[] = [
  [
    'kubectl 1.20 apply: replicas 1 → 3 with the new last-applied annotation',
    'Deployment',
    deployment,
    {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied(3) } },
      spec: { replicas: 3 },
    },
    dep((d) => {
      d.spec.replicas = 3;
      d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] = lastApplied(3);
    }),
  ],
  [
    'kubectl apply: change image, delete an env var, keep order directives out of storage',
    'Deployment',
    deployment,
    {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'sidecar' }],
            containers: [
              {
                '$setElementOrder/env': [{ name: 'A' }],
                env: [{ $patch: 'delete', name: 'B' }],
                image: 'nginx:1.26',
                name: 'nginx',
              },
            ],
          },
        },
      },
    },
    dep((d) => {
      d.spec.template.spec.containers[0].image = 'nginx:1.26';
      d.spec.template.spec.containers[0].env = [{ name: 'A', value: '1' }];
    }),
  ],
  [
    'kubectl apply: switch strategy to Recreate with $retainKeys',
    'Deployment',
    deployment,
    { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } },
    dep((d) => {
      (d.spec as Record<string, unknown>).strategy = { type: 'Recreate' };
    }),
  ],
  [
    'kubectl cordon',
    'Node',
    { metadata: { name: 'node-1' }, spec: { podCIDR: '10.0.0.0/24' } },
    { spec: { unschedulable: true } },
    { metadata: { name: 'node-1' }, spec: { podCIDR: '10.0.0.0/24', unschedulable: true } },
  ],
  [
    'kubectl uncordon',
    'Node',
    { metadata: { name: 'node-1' }, spec: { unschedulable: true } },
    { spec: { unschedulable: null } },
    { metadata: { name: 'node-1' }, spec: {} },
  ],
  [
    'a new container is appended, existing ones merge by name',
    'Deployment',
    deployment,
    { spec: { template: { spec: { containers: [{ name: 'log', image: 'fluentd' }, { name: 'sidecar', image: 'b2' }] } } } },
    dep((d) => {
      d.spec.template.spec.containers[1].image = 'b2';
      (d.spec.template.spec.containers as unknown[]).push({ name: 'log', image: 'fluentd' });
    }),
  ],
  [
    'ports merge by containerPort, env by name, volumeMounts by mountPath',
    'Pod',
    {
      spec: {
        containers: [
          {
            name: 'c',
            ports: [{ containerPort: 80, name: 'http' }],
            env: [{ name: 'A', value: '1' }],
            volumeMounts: [{ name: 'v', mountPath: '/a' }],
          },
        ],
      },
    },
    {
      spec: {
        containers: [
          {
            name: 'c',
            ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }],
            env: [{ name: 'A', value: '2' }, { name: 'B', value: '3' }],
            volumeMounts: [{ mountPath: '/a', readOnly: true }],
          },
        ],
      },
    },
    {
      spec: {
        containers: [
          {
            name: 'c',
            ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }, { containerPort: 443 }],
            env: [{ name: 'A', value: '2' }, { name: 'B', value: '3' }],
            volumeMounts: [{ name: 'v', mountPath: '/a', readOnly: true }],
          },
        ],
      },
    },
  ],
  [
    'lists without a merge key are replaced (tolerations, args)',
    'Pod',
    { spec: { tolerations: [{ key: 'a' }], containers: [{ name: 'c', args: ['x', 'y'] }] } },
    { spec: { tolerations: [{ key: 'b' }], containers: [{ name: 'c', args: ['z'] }] } },
    { spec: { tolerations: [{ key: 'b' }], containers: [{ name: 'c', args: ['z'] }] } },
  ],
  [
    '$patch: replace on a merge-key list replaces it',
    'Pod',
    { spec: { containers: [{ name: 'a' }, { name: 'b' }] } },
    { spec: { containers: [{ $patch: 'replace' }, { name: 'c', image: 'x' }] } },
    { spec: { containers: [{ name: 'c', image: 'x' }] } },
  ],
  [
    '$patch: replace on a map replaces it',
    'Deployment',
    { spec: { selector: { matchLabels: { a: '1', b: '2' } } } },
    { spec: { selector: { matchLabels: { $patch: 'replace', c: '3' } } } },
    { spec: { selector: { matchLabels: { c: '3' } } } },
  ],
  [
    '$patch: delete on a map removes it',
    'Pod',
    { spec: { securityContext: { runAsUser: 1 }, nodeName: 'n' } },
    { spec: { securityContext: { $patch: 'delete' } } },
    { spec: { nodeName: 'n' } },
  ],
  [
    'finalizers merge as a set, $deleteFromPrimitiveList removes',
    'ConfigMap',
    { metadata: { name: 'x', finalizers: ['a', 'b'] } },
    { metadata: { finalizers: ['b', 'c'], '$deleteFromPrimitiveList/finalizers': ['a'] } },
    { metadata: { name: 'x', finalizers: ['b', 'c'] } },
  ],
  [
    '$setElementOrder on a primitive list',
    'Pod',
    { metadata: { finalizers: ['a', 'b'] } },
    { metadata: { '$setElementOrder/finalizers': ['b', 'a'] } },
    { metadata: { finalizers: ['b', 'a'] } },
  ],
  [
    '$setElementOrder keeps server-only elements next to their neighbours',
    'Pod',
    { spec: { containers: [{ name: 'a' }, { name: 'injected' }, { name: 'b' }, { name: 'c' }] } },
    { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }, { name: 'd' }], containers: [{ name: 'd' }] } },
    { spec: { containers: [{ name: 'c' }, { name: 'a' }, { name: 'injected' }, { name: 'b' }, { name: 'd' }] } },
  ],
  [
    '$setElementOrder puts a leading server-only element first',
    'Pod',
    { spec: { containers: [{ name: 'x' }, { name: 'a' }, { name: 'b' }] } },
    { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] } },
    { spec: { containers: [{ name: 'x' }, { name: 'b' }, { name: 'a' }] } },
  ],
  [
    'ownerReferences merge by uid',
    'ReplicaSet',
    { metadata: { ownerReferences: [{ uid: '1', name: 'a' }] } },
    { metadata: { ownerReferences: [{ uid: '1', controller: true }, { uid: '2', name: 'b' }] } },
    { metadata: { ownerReferences: [{ uid: '1', name: 'a', controller: true }, { uid: '2', name: 'b' }] } },
  ],
  [
    'status conditions merge by type',
    'Pod',
    { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] } },
    { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    { status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }] } },
  ],
  [
    'Service ports merge by port',
    'Service',
    { spec: { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } },
    { spec: { ports: [{ port: 80, nodePort: 30080 }, { port: 443 }] } },
    { spec: { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080 }, { port: 443 }] } },
  ],
  [
    'node taints by key, addresses by type',
    'Node',
    { spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] }, status: { addresses: [{ type: 'InternalIP', address: '1' }] } },
    { spec: { taints: [{ key: 'b', effect: 'NoExecute' }] }, status: { addresses: [{ type: 'InternalIP', address: '2' }] } },
    {
      spec: { taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', effect: 'NoExecute' }] },
      status: { addresses: [{ type: 'InternalIP', address: '2' }] },
    },
  ],
  [
    'volumes merge by name; $retainKeys swaps the volume source',
    'Pod',
    { spec: { volumes: [{ name: 'v', emptyDir: {} }, { name: 'w', emptyDir: {} }] } },
    { spec: { volumes: [{ $retainKeys: ['configMap', 'name'], name: 'v', configMap: { name: 'cm' } }] } },
    { spec: { volumes: [{ name: 'v', configMap: { name: 'cm' } }, { name: 'w', emptyDir: {} }] } },
  ],
  [
    'unknown kinds: maps merge, lists replace, nulls delete',
    'Widget',
    { data: { a: '1', b: '2' }, list: [1, 2] },
    { data: { a: null, c: '3' }, list: [3] },
    { data: { b: '2', c: '3' }, list: [3] },
  ],
  [
    'new maps lose their nulls and directives',
    'Pod',
    { spec: {} },
    { spec: { securityContext: { runAsUser: null, fsGroup: 2, $patch: 'merge' }, containers: [{ name: 'a', env: [{ name: 'X', $patch: 'delete' }] }] } },
    { spec: { securityContext: { fsGroup: 2 }, containers: [{ name: 'a', env: [] }] } },
  ],
  [
    'deleting an element that does not exist is a no-op',
    'Pod',
    { spec: { containers: [{ name: 'a' }] } },
    { spec: { containers: [{ name: 'zz', $patch: 'delete' }] } },
    { spec: { containers: [{ name: 'a' }] } },
  ],
  [
    'scalar replaces map and map replaces scalar',
    'ConfigMap',
    { data: { a: { x: 1 } }, b: 'str' },
    { data: { a: 'flat' }, b: { nested: true } },
    { data: { a: 'flat' }, b: { nested: true } },
  ],
];

describe('strategicMergePatch', () => {
  it.each(cases)('%s', (_name, kind, original, patch, want) => {
    const originalCopy = JSON.parse(JSON.stringify(original));
    const patchCopy = JSON.parse(JSON.stringify(patch));
    expect(strategicMergePatch(original, patch, kind)).toEqual(want);
    // Inputs are left untouched.
    expect(original).toEqual(originalCopy);
    expect(patch).toEqual(patchCopy);
  });

  it('never lets a directive reach the result', () => {
    const result = strategicMergePatch(
      deployment,
      {
        metadata: { '$setElementOrder/finalizers': ['a'], '$deleteFromPrimitiveList/finalizers': ['zz'] },
        spec: {
          $retainKeys: ['replicas', 'selector', 'strategy', 'template'],
          template: { spec: { '$setElementOrder/volumes': [{ name: 'data' }], volumes: [{ name: 'data', $patch: 'merge' }] } },
        },
      },
      'Deployment',
    );
    expect(JSON.stringify(result)).not.toMatch(/\$(patch|retainKeys|setElementOrder|deleteFromPrimitiveList)/);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['a non-object patch', [1, 2], /patch must be a JSON object/],
    ['a string patch', 'x', /patch must be a JSON object/],
    ['an unknown $patch value', { spec: { $patch: 'explode' } }, /Unknown patch type: "explode"/],
    ['a merge-list element without its key', { spec: { containers: [{ image: 'x' }] } }, /does not contain declared merge key: name/],
    ['a merge-list element that is not a map', { spec: { containers: ['x'] } }, /expected a map with merge key "name"/],
    ['a bad $retainKeys', { spec: { $retainKeys: 'x' } }, /invalid \$retainKeys/],
    ['a bad $setElementOrder', { spec: { '$setElementOrder/containers': 'x' } }, /invalid \$setElementOrder\/containers/],
    ['deleting the whole object', { $patch: 'delete' }, /cannot delete the whole object/],
  ];
  it('rejects absurdly deep JSON with a PatchError', () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 100000; i++) deep = { a: deep };
    expect(() => strategicMergePatch({}, { spec: deep }, 'Pod')).toThrow(PatchError);
    expect(() => strategicMergePatch({ spec: deep }, { spec: { x: 1 } }, 'Pod')).toThrow(PatchError);
  });

  it.each(bad)('rejects %s', (_name, patch, message) => {
    expect(() => strategicMergePatch({ spec: { containers: [{ name: 'a' }] } }, patch, 'Pod')).toThrow(PatchError);
    expect(() => strategicMergePatch({ spec: { containers: [{ name: 'a' }] } }, patch, 'Pod')).toThrow(message);
  });
});
