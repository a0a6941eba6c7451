import type { Endpoints, Pod, Service, ServicePort } from 'kubernetes-types/core/v1';
import { endpointSliceEqual, endpointsEqual, findPort, reconcileEndpoints, reconcileEndpointSlices, shouldPodBeInEndpoints } from './endpoints';

interface PodSpecIn {
  name: string;
  ip?: string;
  ready?: boolean;
  labels?: Record<string, string>;
  namespace?: string;
  phase?: string;
  deleting?: boolean;
  node?: string;
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
  hostname?: string;
  subdomain?: string;
}

function pod(o: PodSpecIn): Pod {
  return {
    metadata: {
      name: o.name,
      namespace: o.namespace ?? 'default',
      uid: `uid-${o.name}`,
      labels: o.labels ?? { app: 'web' },
      ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: {
      containers: [{ name: 'c', image: 'x', ports: o.ports }],
      nodeName: o.node ?? 'node-1',
      hostname: o.hostname,
      subdomain: o.subdomain,
    },
    status: {
      phase: o.phase ?? 'Running',
      podIP: o.ip,
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

function service(ports: ServicePort[], o: { selector?: Record<string, string> | null; publishNotReady?: boolean; clusterIP?: string; labels?: Record<string, string> } = {}): Service {
  return {
    metadata: { name: 'web', namespace: 'default', labels: o.labels },
    spec: {
      selector: o.selector === null ? undefined : (o.selector ?? { app: 'web' }),
      ports,
      publishNotReadyAddresses: o.publishNotReady,
      clusterIP: o.clusterIP ?? '10.96.0.10',
    },
  };
}

const http: ServicePort = { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' };
const ref = (name: string) => ({ kind: 'Pod', namespace: 'default', name, uid: `uid-${name}` });
const addr = (ip: string, name: string, node = 'node-1') => ({ ip, nodeName: node, targetRef: ref(name) });

describe('reconcileEndpoints', () => {
  const cases: Array<{ name: string; svc: Service; pods: Pod[]; subsets: Endpoints['subsets'] }> = [
    {
      name: 'ready pods in addresses, sorted by IP',
      svc: service([http]),
      pods: [pod({ name: 'b', ip: '10.88.0.10' }), pod({ name: 'a', ip: '10.88.0.9' })],
      subsets: [{ addresses: [addr('10.88.0.9', 'a'), addr('10.88.0.10', 'b')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
    },
    {
      name: 'not-ready pods in notReadyAddresses',
      svc: service([http]),
      pods: [pod({ name: 'a', ip: '10.88.0.2' }), pod({ name: 'b', ip: '10.88.0.3', ready: false })],
      subsets: [{ addresses: [addr('10.88.0.2', 'a')], notReadyAddresses: [addr('10.88.0.3', 'b')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
    },
    {
      name: 'publishNotReadyAddresses puts every pod in addresses, terminating ones too',
      svc: service([http], { publishNotReady: true }),
      pods: [pod({ name: 'a', ip: '10.88.0.2', ready: false }), pod({ name: 'b', ip: '10.88.0.3', deleting: true })],
      subsets: [{ addresses: [addr('10.88.0.2', 'a'), addr('10.88.0.3', 'b')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
    },
    {
      name: 'pods without an IP, terminating, terminal, unmatched or in another namespace are left out',
      svc: service([http]),
      pods: [
        pod({ name: 'noip' }),
        pod({ name: 'deleting', ip: '10.88.0.4', deleting: true }),
        pod({ name: 'done', ip: '10.88.0.5', phase: 'Succeeded' }),
        pod({ name: 'failed', ip: '10.88.0.6', phase: 'Failed' }),
        pod({ name: 'other', ip: '10.88.0.7', labels: { app: 'other' } }),
        pod({ name: 'elsewhere', ip: '10.88.0.8', namespace: 'kube-system' }),
      ],
      subsets: [],
    },
    {
      name: 'a named targetPort resolves per pod; pods without that port name are skipped',
      svc: service([{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }]),
      pods: [
        pod({ name: 'a', ip: '10.88.0.2', ports: [{ name: 'web', containerPort: 8080 }] }),
        pod({ name: 'b', ip: '10.88.0.3', ports: [{ name: 'web', containerPort: 9090 }] }),
        pod({ name: 'c', ip: '10.88.0.4', ports: [{ name: 'metrics', containerPort: 9100 }] }),
      ],
      subsets: [
        { addresses: [addr('10.88.0.2', 'a')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
        { addresses: [addr('10.88.0.3', 'b')], ports: [{ name: 'http', port: 9090, protocol: 'TCP' }] },
      ],
    },
    {
      name: 'two service ports: one subset with both ports',
      svc: service([http, { name: 'metrics', port: 9100, targetPort: 9100, protocol: 'TCP' }]),
      pods: [pod({ name: 'a', ip: '10.88.0.2' })],
      subsets: [{ addresses: [addr('10.88.0.2', 'a')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9100, protocol: 'TCP' }] }],
    },
    {
      name: 'a missing targetPort means the service port; UDP kept',
      svc: service([{ port: 53, protocol: 'UDP' }]),
      pods: [pod({ name: 'a', ip: '10.88.0.2' })],
      subsets: [{ addresses: [addr('10.88.0.2', 'a')], ports: [{ port: 53, protocol: 'UDP' }] }],
    },
    {
      name: 'headless without ports lists addresses; the hostname is published for its subdomain',
      svc: service([], { clusterIP: 'None' }),
      pods: [pod({ name: 'a', ip: '10.88.0.2', hostname: 'a0', subdomain: 'web' }), pod({ name: 'b', ip: '10.88.0.3', hostname: 'b0', subdomain: 'other' })],
      subsets: [{ addresses: [{ ...addr('10.88.0.2', 'a'), hostname: 'a0' }, addr('10.88.0.3', 'b')] }],
    },
    {
      name: 'a non-headless service without ports lists nothing',
      svc: service([]),
      pods: [pod({ name: 'a', ip: '10.88.0.2' })],
      subsets: [],
    },
  ];
  it.each(cases)('$name', ({ svc, pods, subsets }) => {
    const plan = reconcileEndpoints(svc, pods);
    expect(plan.desired?.subsets).toEqual(subsets);
    expect(plan.desired?.metadata).toMatchObject({ name: 'web', namespace: 'default' });
  });

  it('leaves services without a selector (or with an empty one) alone', () => {
    expect(reconcileEndpoints(service([http], { selector: null }), [pod({ name: 'a', ip: '10.88.0.2' })]).desired).toBeUndefined();
    expect(reconcileEndpoints(service([http], { selector: {} }), [pod({ name: 'a', ip: '10.88.0.2' })]).desired).toBeUndefined();
  });

  it('reports named ports a pod does not declare', () => {
    const plan = reconcileEndpoints(service([{ name: 'http', port: 80, targetPort: 'web' }]), [pod({ name: 'a', ip: '10.88.0.2' })]);
    expect(plan.unresolved).toEqual([{ pod: 'a', port: 'web' }]);
  });

  it('copies the service labels and marks headless services', () => {
    expect(reconcileEndpoints(service([http], { labels: { app: 'web' } }), []).desired?.metadata?.labels).toEqual({ app: 'web' });
    expect(reconcileEndpoints(service([], { clusterIP: 'None', labels: { a: 'b' } }), []).desired?.metadata?.labels).toEqual({
      a: 'b',
      'service.kubernetes.io/headless': '',
    });
  });

  it('gives the same object whatever the pod order', () => {
    const pods = [pod({ name: 'a', ip: '10.88.0.2' }), pod({ name: 'b', ip: '10.88.0.3', ready: false }), pod({ name: 'c', ip: '10.88.0.1' })];
    const one = reconcileEndpoints(service([http]), pods).desired!;
    const two = reconcileEndpoints(service([http]), [...pods].reverse()).desired!;
    expect(two).toEqual(one);
  });
});

describe('findPort', () => {
  const p = pod({ name: 'a', ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 5353 }] });
  it.each([
    [{ port: 80, targetPort: 8080 }, 8080],
    [{ port: 80 }, 80],
    [{ port: 80, targetPort: '8081' }, 8081],
    [{ port: 53, targetPort: 'dns', protocol: 'UDP' }, 53],
    [{ port: 53, targetPort: 'dns', protocol: 'TCP' }, undefined],
    [{ port: 53, targetPort: 'dns-tcp' }, 5353],
    [{ port: 53, targetPort: 'nope' }, undefined],
  ] as Array<[ServicePort, number | undefined]>)('%j → %s', (sp, want) => expect(findPort(p, sp)).toBe(want));
});

describe('shouldPodBeInEndpoints', () => {
  it('needs an IP, a live phase, and no deletion unless terminating pods count', () => {
    expect(shouldPodBeInEndpoints(pod({ name: 'a', ip: '1.2.3.4' }), false)).toBe(true);
    expect(shouldPodBeInEndpoints(pod({ name: 'a' }), true)).toBe(false);
    expect(shouldPodBeInEndpoints(pod({ name: 'a', ip: '1.2.3.4', deleting: true }), false)).toBe(false);
    expect(shouldPodBeInEndpoints(pod({ name: 'a', ip: '1.2.3.4', deleting: true }), true)).toBe(true);
    expect(shouldPodBeInEndpoints(pod({ name: 'a', ip: '1.2.3.4', phase: 'Failed' }), true)).toBe(false);
  });
});

describe('endpointsEqual', () => {
  it('ignores server-side noise (defaulted protocol, key order) but not address changes', () => {
    const desired = reconcileEndpoints(service([{ port: 80 }], { labels: { app: 'web' } }), [pod({ name: 'a', ip: '10.88.0.2' })]).desired!;
    const stored: Endpoints = JSON.parse(JSON.stringify(desired));
    stored.metadata = { ...stored.metadata, resourceVersion: '7', uid: 'x' };
    expect(endpointsEqual(stored, desired)).toBe(true);
    stored.subsets![0].addresses![0].ip = '10.88.0.3';
    expect(endpointsEqual(stored, desired)).toBe(false);
    expect(endpointsEqual({ metadata: { labels: {} } }, { metadata: { labels: { a: 'b' } } })).toBe(false);
  });
});

describe('reconcileEndpointSlices', () => {
  const owner = { uid: 'svc-uid' };
  const withUid = (s: Service): Service => ({ ...s, metadata: { ...s.metadata, uid: owner.uid } });

  it('one slice per port set, with conditions, labels and the Service as owner', () => {
    const svc = withUid(service([http], { labels: { tier: 'front' } }));
    const slices = reconcileEndpointSlices(svc, [pod({ name: 'b', ip: '10.88.0.3', ready: false }), pod({ name: 'a', ip: '10.88.0.2' }), pod({ name: 'c', ip: '10.88.0.4', deleting: true })])!;
    expect(slices).toHaveLength(1);
    const [slice] = slices;
    expect(slice.metadata?.name).toMatch(/^web-[0-9a-f]{5}$/);
    expect(slice.metadata?.labels).toEqual({ tier: 'front', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    expect(slice.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
    expect(slice.addressType).toBe('IPv4');
    expect(slice.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(slice.endpoints?.map((e) => [e.addresses[0], e.conditions])).toEqual([
      ['10.88.0.2', { ready: true, serving: true, terminating: false }],
      ['10.88.0.3', { ready: false, serving: false, terminating: false }],
      // Terminating pods stay in slices (not in Endpoints), marked so.
      ['10.88.0.4', { ready: false, serving: true, terminating: true }],
    ]);
    expect(slice.endpoints?.[0]).toMatchObject({ nodeName: 'node-1', targetRef: { kind: 'Pod', name: 'a', uid: 'uid-a' } });
  });

  it('splits by resolved port and by the per-slice limit, with stable names', () => {
    const svc = withUid(service([{ name: 'http', port: 80, targetPort: 'web' }]));
    const pods = [
      pod({ name: 'a', ip: '10.88.0.2', ports: [{ name: 'web', containerPort: 8080 }] }),
      pod({ name: 'b', ip: '10.88.0.3', ports: [{ name: 'web', containerPort: 8080 }] }),
      pod({ name: 'c', ip: '10.88.0.4', ports: [{ name: 'web', containerPort: 8080 }] }),
      pod({ name: 'd', ip: '10.88.0.5', ports: [{ name: 'web', containerPort: 9090 }] }),
      pod({ name: 'e', ip: '10.88.0.6' }), // no such port: not listed
    ];
    const slices = reconcileEndpointSlices(svc, pods, 2)!;
    expect(slices.map((s) => [s.ports?.[0]?.port, s.endpoints?.map((e) => e.addresses[0])])).toEqual(
      expect.arrayContaining([
        [8080, ['10.88.0.2', '10.88.0.3']],
        [8080, ['10.88.0.4']],
        [9090, ['10.88.0.5']],
      ]),
    );
    expect(slices).toHaveLength(3);
    expect(new Set(slices.map((s) => s.metadata?.name)).size).toBe(3);
    expect(reconcileEndpointSlices(svc, [...pods].reverse(), 2)).toEqual(slices);
  });

  it('an empty slice without endpoints; nothing for a selector-less Service', () => {
    const slices = reconcileEndpointSlices(withUid(service([http])), [])!;
    expect(slices).toHaveLength(1);
    expect(slices[0].endpoints).toEqual([]);
    expect(reconcileEndpointSlices(service([http], { selector: null }), [])).toBeUndefined();
  });

  it('endpointSliceEqual ignores server noise but not condition changes', () => {
    const [want] = reconcileEndpointSlices(withUid(service([http])), [pod({ name: 'a', ip: '10.88.0.2' })])!;
    const stored = JSON.parse(JSON.stringify(want)) as typeof want;
    stored.metadata = { ...stored.metadata, resourceVersion: '9', generation: 1 };
    expect(endpointSliceEqual(stored, want)).toBe(true);
    stored.endpoints![0].conditions = { ready: false, serving: false, terminating: false };
    expect(endpointSliceEqual(stored, want)).toBe(false);
  });
});
