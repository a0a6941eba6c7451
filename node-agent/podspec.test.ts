// Pure pod spec → CRI config translation.
import type { Container, Pod } from 'kubernetes-types/core/v1';
import {
  containerConfig,
  containerMounts,
  dnsConfig,
  expandVars,
  linuxResources,
  parseResolvConf,
  hostNamespaces,
  podIPOf,
  podSandboxConfig,
  processIdentity,
  resolveEnv,
  emptyDirMemoryBytes,
  volumeHostPaths,
  asMountedVolume,
  referencedData,
  volumeSupplementalGroups,
} from './podspec';
import { LABEL_CONTAINER_NAME, LABEL_NODE, LABEL_POD_UID } from './labels';

const pod: Pod = {
  metadata: { name: 'web', namespace: 'shop', uid: 'u1', labels: { app: 'web', tier: 'fe' }, annotations: { note: 'x' } },
  spec: {
    nodeName: 'n1',
    containers: [{ name: 'app', image: 'nginx:1.22', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, protocol: 'UDP' }] }],
    volumes: [{ name: 'cache', emptyDir: {} }, { name: 'host', hostPath: { path: '/srv/data' } }, { name: 'cfg', configMap: { name: 'cm' } }],
  },
};

const hostDns = { servers: ['192.0.2.53'], searches: ['example.org'], options: ['edns0'] };

describe('linuxResources (kubelet mapping)', () => {
  const cases: [string, Container['resources'], object][] = [
    ['none: minimal shares', undefined, { cpuShares: 2 }],
    ['request only', { requests: { cpu: '250m' } }, { cpuShares: 256 }],
    ['limit only: request = limit', { limits: { cpu: '1', memory: '128Mi' } }, { cpuShares: 1024, cpuPeriod: 100000, cpuQuota: 100000, memoryLimitInBytes: 134217728 }],
    ['tiny limit: quota floor 1 ms', { limits: { cpu: '1m' } }, { cpuShares: 2, cpuPeriod: 100000, cpuQuota: 1000 }],
    ['fractional memory', { limits: { memory: '1.5Gi' } }, { cpuShares: 2, memoryLimitInBytes: 1610612736 }],
  ];
  for (const [name, resources, want] of cases) test(name, () => expect(linuxResources({ name: 'c', resources })).toEqual(want));
});

describe('sandbox config', () => {
  test('name, hostname, labels, ports, cgroup parent, log directory', () => {
    const cfg = podSandboxConfig(pod, 2, { nodeName: 'n1', logRoot: '/logs', cgroupRoot: '/steerpods', clusterDNS: [], clusterDomain: 'cluster.local', hostDns });
    expect(cfg).toMatchObject({ name: 'web', namespace: 'shop', uid: 'u1', attempt: 2, hostname: 'web', logDirectory: '/logs/shop_web_u1', cgroupParent: '/steerpods/podu1' });
    expect(cfg.labels).toMatchObject({ app: 'web', tier: 'fe', [LABEL_POD_UID]: 'u1', [LABEL_NODE]: 'n1' });
    expect(cfg.portMappings).toEqual([{ protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '' }]);
  });

  test("the node's namespaces: on the sandbox and every container; no hostname of its own on the host network; the pod IP", () => {
    const o = { nodeName: 'n1', logRoot: '/logs', cgroupRoot: '/steerpods', clusterDNS: [], clusterDomain: 'cluster.local', hostDns };
    const on = (extra: Partial<NonNullable<Pod['spec']>>): Pod => ({ ...pod, spec: { ...pod.spec!, ...extra } });
    expect(hostNamespaces(pod)).toBeUndefined();
    expect(podSandboxConfig(pod, 0, o).hostNamespaces).toBeUndefined();
    expect(hostNamespaces(on({ hostNetwork: false, hostPID: true }))).toEqual({ pid: true });
    expect(hostNamespaces(on({ hostIPC: true }))).toEqual({ ipc: true });
    const all = on({ hostNetwork: true, hostPID: true, hostIPC: true });
    expect(hostNamespaces(all)).toEqual({ network: true, pid: true, ipc: true });
    const sb = podSandboxConfig(all, 0, o);
    expect([sb.hostNamespaces, sb.hostname]).toEqual([{ network: true, pid: true, ipc: true }, '']);
    expect(podSandboxConfig(on({ hostPID: true }), 0, o).hostname).toBe('web');
    const cc = containerConfig(all, { name: 'app', image: 'nginx' }, 'regular', 0, { nodeName: 'n1', env: [], mounts: [], gracePeriodSeconds: 30 });
    expect(cc.hostNamespaces).toEqual({ network: true, pid: true, ipc: true });
    expect(podIPOf(all, '', '192.0.2.7')).toBe('192.0.2.7');
    expect(podIPOf(on({ hostPID: true }), '10.88.0.9', '192.0.2.7')).toBe('10.88.0.9');
  });

  test('DNS: ClusterFirst with a cluster DNS, fallback to the host, None + dnsConfig', () => {
    const o = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', hostDns };
    expect(dnsConfig(pod, o)).toEqual({ servers: ['10.96.0.10'], searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'example.org'], options: ['ndots:5'] });
    expect(dnsConfig(pod, { ...o, clusterDNS: [] })).toEqual(hostDns);
    const none: Pod = { ...pod, spec: { ...pod.spec!, dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], options: [{ name: 'ndots', value: '2' }] } } };
    expect(dnsConfig(none, o)).toEqual({ servers: ['1.1.1.1'], searches: [], options: ['ndots:2'] });
  });

  test('DNS: the four policies; hostNetwork ClusterFirst falls back to Default, ClusterFirstWithHostNet does not', () => {
    const o = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', hostDns };
    const withPolicy = (dnsPolicy: string, hostNetwork = false): Pod => ({ ...pod, spec: { ...pod.spec!, dnsPolicy, hostNetwork } });
    expect(dnsConfig(withPolicy('Default'), o)).toEqual(hostDns);
    expect(dnsConfig(withPolicy('ClusterFirst', true), o)).toEqual(hostDns);
    expect(dnsConfig(withPolicy('ClusterFirstWithHostNet', true), o).servers).toEqual(['10.96.0.10']);
    expect(dnsConfig(withPolicy('ClusterFirstWithHostNet', false), o).servers).toEqual(['10.96.0.10']);
    const merged: Pod = { ...withPolicy('ClusterFirst'), spec: { ...pod.spec!, dnsConfig: { nameservers: ['192.0.2.9'], searches: ['extra.example', 'svc.cluster.local'], options: [{ name: 'ndots', value: '1' }, { name: 'edns0' }] } } };
    expect(dnsConfig(merged, o)).toEqual({
      servers: ['10.96.0.10', '192.0.2.9'],
      searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'example.org', 'extra.example'],
      options: ['ndots:1', 'edns0'],
    });
  });

  test("DNS: the host's loopback resolvers are unreachable from a pod: dropped, the cluster DNS stands in when none is left", () => {
    const stub = { servers: ['127.0.0.53'], searches: ['lan'], options: ['edns0'] };
    const defaultPod: Pod = { ...pod, spec: { ...pod.spec!, dnsPolicy: 'Default' } };
    expect(dnsConfig(defaultPod, { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', hostDns: stub })).toEqual({ servers: ['10.96.0.10'], searches: ['lan'], options: ['edns0'] });
    const mixed = { ...stub, servers: ['127.0.0.53', '192.0.2.53'] };
    expect(dnsConfig(defaultPod, { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', hostDns: mixed }).servers).toEqual(['192.0.2.53']);
    // A hostNetwork pod shares the host's loopback: it keeps them.
    const hostNet: Pod = { ...pod, spec: { ...pod.spec!, dnsPolicy: 'Default', hostNetwork: true } };
    expect(dnsConfig(hostNet, { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', hostDns: stub }).servers).toEqual(['127.0.0.53']);
  });

  test("DNS: the kubelet's limits — 3 nameservers, 32 search paths, 2,048 characters, no overlong domain", () => {
    const none = (dnsConfigSpec: NonNullable<Pod['spec']>['dnsConfig']): Pod => ({ ...pod, spec: { ...pod.spec!, dnsPolicy: 'None', dnsConfig: dnsConfigSpec } });
    const o = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', hostDns };
    expect(dnsConfig(none({ nameservers: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'] }), o).servers).toEqual(['1.1.1.1', '1.1.1.2', '1.1.1.3']);
    const many = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
    expect(dnsConfig(none({ searches: many }), o).searches).toEqual(many.slice(0, 32));
    const long = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(3, '0')}.${'x'.repeat(120)}`);
    const fitted = dnsConfig(none({ searches: [...long, 'y'.repeat(260)] }), o).searches;
    expect(fitted.join(' ').length).toBeLessThanOrEqual(2048);
    expect(fitted).toEqual(long.slice(0, fitted.length));
    expect(fitted.length).toBe(16);
  });

  test('resolv.conf parsing', () => {
    expect(parseResolvConf('# c\nnameserver 1.2.3.4\nsearch a b\noptions ndots:2 edns0\n')).toEqual({ servers: ['1.2.3.4'], searches: ['a', 'b'], options: ['ndots:2', 'edns0'] });
  });
});

describe('env and command', () => {
  const c: Container = {
    name: 'app',
    image: 'busybox',
    command: ['sh', '-c', 'echo $(GREETING) $$(HOME) $(UNKNOWN)'],
    env: [
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
      { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'GREETING', value: 'hello $(POD)' },
      { name: 'KEY', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
      { name: 'PASS', valueFrom: { secretKeyRef: { name: 'sec', key: 'p' } } },
    ],
    envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'CM_' }],
    resources: { limits: { memory: '64Mi' } },
  };
  const data = { configMaps: { cm: { k: 'v' } }, secrets: { sec: { p: 's3cret' } } };

  test('valueFrom, $(VAR) expansion, envFrom with prefix', () => {
    const env = Object.fromEntries(resolveEnv(pod, c, { podIP: '10.0.0.5', hostIP: '192.0.2.1', nodeName: 'n1', data }).map((e) => [e.name, e.value]));
    expect(env).toEqual({ CM_k: 'v', POD: 'web', NS: 'shop', IP: '10.0.0.5', HOST: '192.0.2.1', TIER: 'fe', MEM: '64', GREETING: 'hello web', KEY: 'v', PASS: 's3cret' });
    const cfg = containerConfig(pod, c, 'regular', 3, { nodeName: 'n1', env: Object.entries(env).map(([name, value]) => ({ name, value })), mounts: [], gracePeriodSeconds: 30 });
    expect(cfg.command).toEqual(['sh', '-c', 'echo hello web $(HOME) $(UNKNOWN)']);
    expect(cfg.logPath).toBe('app/3.log');
    expect(cfg.labels[LABEL_CONTAINER_NAME]).toBe('app');
  });

  test("stdin and tty as the container asks; the kind label; the PID namespace of the pod or of a debugging container's target", () => {
    const base = { nodeName: 'n1', env: [], mounts: [], gracePeriodSeconds: 30 };
    const plain = containerConfig(pod, c, 'regular', 0, base);
    expect([plain.stdin, plain.tty, plain.pidNamespace, plain.labels['steer.io/container-kind']]).toEqual([undefined, undefined, undefined, 'regular']);
    const interactive = containerConfig(pod, { ...c, stdin: true, stdinOnce: true, tty: true }, 'regular', 0, base);
    expect(interactive).toMatchObject({ stdin: true, stdinOnce: true, tty: true });
    const debug = containerConfig(pod, { name: 'debugger', image: 'busybox' }, 'ephemeral', 0, { ...base, targetId: 'c-1' });
    expect(debug.pidNamespace).toEqual({ targetId: 'c-1' });
    expect(debug.labels['steer.io/container-kind']).toBe('ephemeral');
    const shared = { ...pod, spec: { ...pod.spec!, shareProcessNamespace: true } };
    expect(containerConfig(shared, c, 'regular', 0, base).pidNamespace).toEqual({ pod: true });
    expect(containerConfig(shared, { name: 'debugger', image: 'busybox' }, 'ephemeral', 0, { ...base, targetId: 'c-1' }).pidNamespace).toEqual({ pod: true });
  });

  test('a missing config map is an error unless optional', () => {
    expect(() => resolveEnv(pod, c, { podIP: '', hostIP: '', nodeName: '', data: { configMaps: {}, secrets: {} } })).toThrow('configmap "cm" not found');
    expect(expandVars('$(A)-$(B)', new Map([['A', '1']]))).toBe('1-$(B)');
  });

  test('volume mounts: emptyDir under the pod dir, hostPath as is, subPath, unknown volume rejected', () => {
    const vols = volumeHostPaths(pod, '/state/pods/u1', '/state/memory/u1');
    const mounts = containerMounts(
      { name: 'a', volumeMounts: [{ name: 'cache', mountPath: '/cache' }, { name: 'host', mountPath: '/data', subPath: 'x', readOnly: true }, { name: 'cfg', mountPath: '/etc/cfg' }] },
      vols,
    );
    expect(mounts).toEqual([
      { containerPath: '/cache', hostPath: '/state/pods/u1/volumes/kubernetes.io~empty-dir/cache', readonly: false },
      { containerPath: '/data', hostPath: '/srv/data/x', readonly: true },
      { containerPath: '/etc/cfg', hostPath: '/state/pods/u1/volumes/kubernetes.io~configmap/cfg', readonly: true },
    ]);
    expect(() => containerMounts({ name: 'a', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }, vols)).toThrow('volume "nope"');
  });

  test('secret, projected and downwardAPI volumes and a Memory emptyDir live under the memory-backed dir, as the kubelet keeps them on tmpfs; configMap and emptyDir on disk', () => {
    const withSecrets: Pod = {
      ...pod,
      spec: {
        ...pod.spec!,
        volumes: [
          { name: 'creds', secret: { secretName: 's' } },
          { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
          { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
          { name: 'cfg', configMap: { name: 'cm' } },
          { name: 'cache', emptyDir: {} },
          { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
        ],
      },
    };
    const paths = Object.fromEntries([...volumeHostPaths(withSecrets, '/state/pods/u1', '/state/memory/u1')].map(([name, v]) => [name, v.path]));
    expect(paths).toEqual({
      creds: '/state/memory/u1/volumes/kubernetes.io~secret/creds',
      token: '/state/memory/u1/volumes/kubernetes.io~projected/token',
      info: '/state/memory/u1/volumes/kubernetes.io~downward-api/info',
      cfg: '/state/pods/u1/volumes/kubernetes.io~configmap/cfg',
      cache: '/state/pods/u1/volumes/kubernetes.io~empty-dir/cache',
      scratch: '/state/memory/u1/volumes/kubernetes.io~empty-dir/scratch',
    });
  });

  test("a generic ephemeral volume is its claim <pod>-<volume>: read with the pod's data, mounted at the bound volume's path", () => {
    const withClaims: Pod = {
      metadata: { name: 'web', namespace: 'default', uid: 'u1' },
      spec: {
        containers: [{ name: 'c', image: 'x' }],
        volumes: [
          { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } },
          { name: 'shared', persistentVolumeClaim: { claimName: 'shared', readOnly: true } },
        ],
      },
    };
    expect(referencedData(withClaims).claims).toEqual(['web-scratch', 'shared']);
    const local = (p: string) => ({ volume: { spec: { local: { path: p } } }, claim: {} });
    const paths = volumeHostPaths(withClaims, '/state/pods/u1', '/state/memory/u1', { configMaps: {}, secrets: {}, claims: { 'web-scratch': local('/storage/pvc-1'), shared: local('/storage/pvc-2') } });
    expect(Object.fromEntries(paths)).toEqual({
      scratch: { path: '/storage/pvc-1', kind: 'persistentVolumeClaim', readOnly: false },
      shared: { path: '/storage/pvc-2', kind: 'persistentVolumeClaim', readOnly: true },
    });
    expect(asMountedVolume(withClaims, withClaims.spec!.volumes![0])).toEqual({ name: 'scratch', persistentVolumeClaim: { claimName: 'web-scratch' } });
    expect(asMountedVolume(withClaims, withClaims.spec!.volumes![1])).toBe(withClaims.spec!.volumes![1]);
  });

  describe("a Memory emptyDir's tmpfs size, as the kubelet's calculateEmptyDirMemorySize", () => {
    const node = 8 * 2 ** 30;
    const withLimits = (containers: Array<string | undefined>, inits: Array<string | undefined> = []): Pod => {
      const c = (limit: string | undefined, i: number) => ({ name: `c${i}`, image: 'x', ...(limit ? { resources: { limits: { memory: limit } } } : {}) });
      return { metadata: { name: 'p' }, spec: { containers: containers.map(c), initContainers: inits.map(c) } };
    };
    test.each([
      ['no limits, no sizeLimit: the node', withLimits([undefined]), undefined, node],
      ['no limits: the sizeLimit', withLimits([undefined]), '64Mi', 64 * 2 ** 20],
      ['every container limited: their sum', withLimits(['100Mi', '28Mi']), undefined, 128 * 2 ** 20],
      ['a larger init container: its limit', withLimits(['100Mi'], ['200Mi']), undefined, 200 * 2 ** 20],
      ['one container without a limit: the node', withLimits(['100Mi', undefined]), undefined, node],
      ['a limit of 0 is none', withLimits(['100Mi', '0']), undefined, node],
      ['a sizeLimit under the pod limit wins', withLimits(['100Mi']), '10Mi', 10 * 2 ** 20],
      ['a sizeLimit over the pod limit does not', withLimits(['100Mi']), '1Gi', 100 * 2 ** 20],
      ['a sizeLimit over the node does not', withLimits([undefined]), '16Gi', node],
      ['a sizeLimit of 0 is none', withLimits([undefined]), '0', node],
      ['a pod limit over the node does not', withLimits(['16Gi']), undefined, node],
      ['decimal units, rounded up to a byte', withLimits([undefined]), '1.5k', 1500],
    ])('%s', (_name, p, sizeLimit, want) => {
      expect(emptyDirMemoryBytes(p, sizeLimit, node)).toBe(want);
    });
  });
});

describe('identity: the kubelet\'s effective security context', () => {
  const base = (sc: NonNullable<Pod['spec']>['securityContext'], csc?: Container['securityContext']): { pod: Pod; c: Container } => {
    const c: Container = { name: 'app', image: 'busybox', ...(csc ? { securityContext: csc } : {}) };
    return { pod: { metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [c], ...(sc ? { securityContext: sc } : {}) } }, c };
  };
  const cases: Array<{ name: string; sc?: NonNullable<Pod['spec']>['securityContext']; csc?: Container['securityContext']; volumeGroups?: number[]; want: ReturnType<typeof processIdentity> }> = [
    { name: 'nothing set: no identity (the image decides)', want: undefined },
    { name: 'fsGroup alone: a supplemental group', sc: { fsGroup: 2000 }, want: { supplementalGroups: [2000] } },
    { name: 'fsGroup first, then supplementalGroups', sc: { fsGroup: 2000, supplementalGroups: [5000, 6000] }, want: { supplementalGroups: [2000, 5000, 6000] } },
    { name: 'the pod\'s user and group', sc: { runAsUser: 1000, runAsGroup: 3000 }, want: { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [] } },
    {
      name: 'the container\'s user and group win over the pod\'s; groups stay the pod\'s',
      sc: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000 },
      csc: { runAsUser: 1001 },
      want: { runAsUser: 1001, runAsGroup: 3000, supplementalGroups: [2000] },
    },
    { name: 'root (0) is kept, not taken for unset', sc: { runAsUser: 0, fsGroup: 0 }, want: { runAsUser: 0, supplementalGroups: [0] } },
    { name: 'the volumes\' groups come last', sc: { fsGroup: 2000 }, volumeGroups: [7000], want: { supplementalGroups: [2000, 7000] } },
  ];
  it.each(cases)('$name', ({ sc, csc, volumeGroups, want }) => {
    const { pod, c } = base(sc, csc);
    expect(processIdentity(pod, c, volumeGroups)).toEqual(want);
    const cfg = containerConfig(pod, c, 'regular', 0, { nodeName: 'n', env: [], mounts: [], gracePeriodSeconds: 30, volumeGroups });
    expect(cfg.identity).toEqual(want);
  });

  it('the sandbox carries the pod-level identity', () => {
    const { pod } = base({ runAsUser: 1000, fsGroup: 2000, supplementalGroups: [5000] }, { runAsUser: 1 });
    const sb = podSandboxConfig(pod, 0, { nodeName: 'n', logRoot: '/l', cgroupRoot: '/c', clusterDNS: [], clusterDomain: 'cluster.local', hostDns: { servers: [], searches: [], options: [] } });
    expect(sb.identity).toEqual({ runAsUser: 1000, supplementalGroups: [2000, 5000] });
    expect(podSandboxConfig(base(undefined).pod, 0, { nodeName: 'n', logRoot: '/l', cgroupRoot: '/c', clusterDNS: [], clusterDomain: 'cluster.local', hostDns: { servers: [], searches: [], options: [] } }).identity).toBeUndefined();
  });

  it('a bound volume\'s pv.beta.kubernetes.io/gid adds its group once; junk is ignored', () => {
    const vol = (gid: string) => ({ claim: {}, volume: { metadata: { name: 'v', annotations: { 'pv.beta.kubernetes.io/gid': gid } } } });
    expect(volumeSupplementalGroups({ configMaps: {}, secrets: {}, claims: { a: vol('7000'), b: vol('7000'), c: vol('x1'), d: { claim: {} } } })).toEqual([7000]);
    expect(volumeSupplementalGroups(undefined)).toEqual([]);
  });
});
