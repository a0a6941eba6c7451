import { Resources } from '../../lib/api/resources';
import { applyDefaults } from '.';
import { preserveServiceAllocations } from './core';
import { pullPolicyFor } from './pod';

function allocator() {
  let ip = 10;
  let port = 30000;
  return {
    clusterIP: jest.fn(() => `10.96.0.${ip++}`),
    nodePort: jest.fn(() => port++),
  };
}

type Obj = Record<string, unknown>;
const json = (v: unknown): Obj => JSON.parse(JSON.stringify(v)) as Obj;

describe('pullPolicyFor', () => {
  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['localhost:5000/app', 'Always'],
    ['localhost:5000/app:v1', 'IfNotPresent'],
    ['localhost:5000/app:latest', 'Always'],
    ['busybox@sha256:abc', 'IfNotPresent'],
  ])('%s → %s', (image, want) => expect(pullPolicyFor(image)).toBe(want));
});

describe('applyDefaults: Pod', () => {
  it('fills the pod and container defaults', () => {
    const pod = json({
      metadata: { name: 'p' },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'nginx:1.25',
            ports: [{ containerPort: 80 }],
            env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            resources: { limits: { cpu: '500m' } },
            livenessProbe: { httpGet: { port: 80 } },
            readinessProbe: { exec: { command: ['true'] }, periodSeconds: 5 },
          },
        ],
        initContainers: [{ name: 'i', image: 'busybox' }],
        volumes: [{ name: 'v' }, { name: 'cm', configMap: { name: 'x' } }],
      },
    });
    applyDefaults(Resources.pods, pod, allocator());
    expect(pod).toEqual({
      metadata: { name: 'p' },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'nginx:1.25',
            imagePullPolicy: 'IfNotPresent',
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
            ports: [{ containerPort: 80, protocol: 'TCP' }],
            env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } } }],
            resources: { limits: { cpu: '500m' }, requests: { cpu: '500m' } },
            livenessProbe: {
              httpGet: { port: 80, path: '/', scheme: 'HTTP' },
              timeoutSeconds: 1,
              periodSeconds: 10,
              successThreshold: 1,
              failureThreshold: 3,
            },
            readinessProbe: {
              exec: { command: ['true'] },
              timeoutSeconds: 1,
              periodSeconds: 5,
              successThreshold: 1,
              failureThreshold: 3,
            },
          },
        ],
        initContainers: [
          {
            name: 'i',
            image: 'busybox',
            imagePullPolicy: 'Always',
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
            resources: {},
          },
        ],
        volumes: [
          { name: 'v', emptyDir: {} },
          { name: 'cm', configMap: { name: 'x', defaultMode: 420 } },
        ],
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
        schedulerName: 'default-scheduler',
        terminationGracePeriodSeconds: 30,
        securityContext: {},
        serviceAccountName: 'default',
        serviceAccount: 'default',
        enableServiceLinks: true,
        priority: 0,
        preemptionPolicy: 'PreemptLowerPriority',
      },
      status: { phase: 'Pending', qosClass: 'Burstable' },
    });
    expect(pod.spec).not.toHaveProperty('tolerations');
  });

  it('keeps what the user set', () => {
    const pod = json({
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        serviceAccountName: 'robot',
        enableServiceLinks: false,
        containers: [{ name: 'c', image: 'nginx', imagePullPolicy: 'Never', ports: [{ containerPort: 53, protocol: 'UDP' }] }],
      },
      status: { phase: 'Running' },
    });
    applyDefaults(Resources.pods, pod, allocator());
    const spec = pod.spec as Obj;
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.terminationGracePeriodSeconds).toBe(0);
    expect(spec.serviceAccountName).toBe('robot');
    expect(spec.serviceAccount).toBe('robot');
    expect(spec.enableServiceLinks).toBe(false);
    const c = (spec.containers as Obj[])[0];
    expect(c.imagePullPolicy).toBe('Never');
    expect(c.ports).toEqual([{ containerPort: 53, protocol: 'UDP' }]);
    expect((pod.status as Obj).phase).toBe('Running');
  });

  it('gives host-network pods hostPorts', () => {
    const pod = json({ spec: { hostNetwork: true, containers: [{ name: 'c', image: 'x:1', ports: [{ containerPort: 8080 }] }] } });
    applyDefaults(Resources.pods, pod, allocator());
    expect(((pod.spec as Obj).containers as Obj[])[0].ports).toEqual([{ containerPort: 8080, protocol: 'TCP', hostPort: 8080 }]);
  });

  it.each([
    ['containers is a map', { spec: { containers: {} } }],
    ['spec is a string', { spec: 'x' }],
    ['containers hold strings', { spec: { containers: ['x', null] } }],
    ['status is a list', { spec: {}, status: [] }],
  ])('does not crash when %s', (_name, obj) => {
    const o = json(obj);
    expect(() => applyDefaults(Resources.pods, o, allocator())).not.toThrow();
  });
});

describe('applyDefaults: workloads', () => {
  const template = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
  const templateWithDefaults = {
    metadata: { labels: { app: 'a' } },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'nginx',
          imagePullPolicy: 'Always',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          resources: {},
        },
      ],
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      securityContext: {},
    },
  };
  it('Deployment', () => {
    const d = json({ spec: { selector: { matchLabels: { app: 'a' } }, template } });
    applyDefaults(Resources.deployments, d, allocator());
    expect(d.spec).toEqual({
      replicas: 1,
      selector: { matchLabels: { app: 'a' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: templateWithDefaults,
    });
  });
  it('Deployment with Recreate gets no rollingUpdate; replicas 0 is kept', () => {
    const d = json({ spec: { replicas: 0, strategy: { type: 'Recreate' }, template } });
    applyDefaults(Resources.deployments, d, allocator());
    expect((d.spec as Obj).strategy).toEqual({ type: 'Recreate' });
    expect((d.spec as Obj).replicas).toBe(0);
  });
  it('ReplicaSet', () => {
    const rs = json({ spec: { template } });
    applyDefaults(Resources.replicasets, rs, allocator());
    expect(rs.spec).toEqual({ replicas: 1, template: templateWithDefaults });
  });
  it('DaemonSet', () => {
    const ds = json({ spec: { template } });
    applyDefaults(Resources.daemonsets, ds, allocator());
    expect(ds.spec).toEqual({
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
      template: templateWithDefaults,
    });
  });
});

describe('applyDefaults: Service', () => {
  it('ClusterIP service', () => {
    const alloc = allocator();
    const svc = json({ spec: { selector: { app: 'a' }, ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 5353 }] } });
    applyDefaults(Resources.services, svc, alloc);
    expect(svc).toEqual({
      spec: {
        type: 'ClusterIP',
        selector: { app: 'a' },
        sessionAffinity: 'None',
        ports: [
          { port: 80, protocol: 'TCP', targetPort: 80 },
          { port: 53, protocol: 'UDP', targetPort: 5353 },
        ],
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        internalTrafficPolicy: 'Cluster',
      },
      status: { loadBalancer: {} },
    });
    expect(alloc.nodePort).not.toHaveBeenCalled();
  });
  it('NodePort service allocates missing node ports only', () => {
    const alloc = allocator();
    const svc = json({ spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }, { port: 443 }] } });
    applyDefaults(Resources.services, svc, alloc);
    const spec = svc.spec as Obj;
    expect(spec.ports).toEqual([
      { port: 80, nodePort: 30080, protocol: 'TCP', targetPort: 80 },
      { port: 443, nodePort: 30000, protocol: 'TCP', targetPort: 443 },
    ]);
    expect(spec.externalTrafficPolicy).toBe('Cluster');
    expect(alloc.nodePort).toHaveBeenCalledTimes(1);
  });
  it('LoadBalancer gets node ports and allocateLoadBalancerNodePorts', () => {
    const svc = json({ spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
    applyDefaults(Resources.services, svc, allocator());
    const spec = svc.spec as Obj;
    expect((spec.ports as Obj[])[0].nodePort).toBe(30000);
    expect(spec.allocateLoadBalancerNodePorts).toBe(true);
  });
  it('headless service allocates no IP', () => {
    const alloc = allocator();
    const svc = json({ spec: { clusterIP: 'None', ports: [{ port: 80 }] } });
    applyDefaults(Resources.services, svc, alloc);
    expect((svc.spec as Obj).clusterIP).toBe('None');
    expect((svc.spec as Obj).clusterIPs).toEqual(['None']);
    expect(alloc.clusterIP).not.toHaveBeenCalled();
  });
  it('clusterIP taken from clusterIPs and the reverse', () => {
    const alloc = allocator();
    const a = json({ spec: { clusterIPs: ['10.96.5.5'] } });
    applyDefaults(Resources.services, a, alloc);
    expect((a.spec as Obj).clusterIP).toBe('10.96.5.5');
    const b = json({ spec: { clusterIP: '10.96.6.6' } });
    applyDefaults(Resources.services, b, alloc);
    expect((b.spec as Obj).clusterIPs).toEqual(['10.96.6.6']);
    expect(alloc.clusterIP).not.toHaveBeenCalled();
  });
  it('ExternalName service gets no IP', () => {
    const alloc = allocator();
    const svc = json({ spec: { type: 'ExternalName', externalName: 'example.com' } });
    applyDefaults(Resources.services, svc, alloc);
    expect(svc.spec).toEqual({ type: 'ExternalName', externalName: 'example.com', sessionAffinity: 'None' });
    expect(alloc.clusterIP).not.toHaveBeenCalled();
  });
  it('an update keeps the old allocations', () => {
    const alloc = allocator();
    const old = json({ spec: { type: 'NodePort', clusterIP: '10.96.0.99', clusterIPs: ['10.96.0.99'], ports: [{ port: 80, protocol: 'TCP', nodePort: 31000 }] } });
    const next = json({ spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 81 }] } });
    preserveServiceAllocations(next, old);
    applyDefaults(Resources.services, next, alloc);
    const spec = next.spec as Obj;
    expect(spec.clusterIP).toBe('10.96.0.99');
    expect((spec.ports as Obj[]).map((p) => p.nodePort)).toEqual([31000, 30000]);
    expect(alloc.clusterIP).not.toHaveBeenCalled();
  });
});

describe('applyDefaults: other kinds', () => {
  it('Namespace', () => {
    const ns = json({ metadata: { name: 'x' } });
    applyDefaults(Resources.namespaces, ns, allocator());
    expect(ns).toEqual({ metadata: { name: 'x', labels: { 'kubernetes.io/metadata.name': 'x' } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  });
  it('Node: allocatable from capacity', () => {
    const node = json({ status: { capacity: { cpu: '2', memory: '4Gi' } } });
    applyDefaults(Resources.nodes, node, allocator());
    expect((node.status as Obj).allocatable).toEqual({ cpu: '2', memory: '4Gi' });
  });
  it('Secret type Opaque', () => {
    const s = json({ data: {} });
    applyDefaults(Resources.secrets, s, allocator());
    expect(s.type).toBe('Opaque');
  });
  it('Endpoints ports protocol', () => {
    const ep = json({ subsets: [{ addresses: [{ ip: '1.2.3.4' }], ports: [{ port: 80 }] }] });
    applyDefaults(Resources.endpoints, ep, allocator());
    expect(ep.subsets).toEqual([{ addresses: [{ ip: '1.2.3.4' }], ports: [{ port: 80, protocol: 'TCP' }] }]);
  });
  it.each([Resources.configmaps, Resources.leases, Resources.events, Resources.serviceaccounts])('$kind is unchanged', (r) => {
    const o = json({ metadata: { name: 'x' }, data: { a: 'b' } });
    applyDefaults(r, o, allocator());
    expect(o).toEqual({ metadata: { name: 'x' }, data: { a: 'b' } });
  });
});

describe('applyDefaults: Secret stringData', () => {
  it('merges stringData into data (its keys win) and drops it, as the v1 conversion does', () => {
    const s = json({ data: { a: Buffer.from('old').toString('base64'), b: 'Yg==' }, stringData: { a: 'new', c: 'ç' } });
    applyDefaults(Resources.secrets, s, allocator());
    expect(s.stringData).toBeUndefined();
    const data = s.data as Record<string, string>;
    expect(Buffer.from(data.a, 'base64').toString()).toBe('new');
    expect(data.b).toBe('Yg==');
    expect(Buffer.from(data.c, 'base64').toString()).toBe('ç');
  });
});
