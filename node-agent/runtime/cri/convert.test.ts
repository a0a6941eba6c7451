// The mapping to CRI messages: request building (the runtime.md rules) and int64 time conversion.
import { ContainerConfig, PodSandboxConfig } from '../runtime';
import { namespaceOptions, nsToMs, toWireContainerConfig, toWireSandboxConfig } from './convert';

const sandbox: PodSandboxConfig = {
  name: 'web',
  namespace: 'default',
  uid: 'u-1',
  attempt: 2,
  hostname: 'web',
  logDirectory: '/logs/default_web_u-1',
  dnsConfig: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
  portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '127.0.0.1' }],
  labels: { app: 'web' },
  annotations: { note: 'x' },
  cgroupParent: '/steer0-pods/podu-1',
};

const container: ContainerConfig = {
  name: 'nginx',
  attempt: 1,
  image: '127.0.0.1:5000/nginx:1.22',
  command: ['/usr/sbin/nginx'],
  args: ['-g', 'daemon off;'],
  workingDir: '/',
  env: [{ name: 'A', value: 'b' }],
  mounts: [{ containerPath: '/data', hostPath: '/srv/data', readonly: true }],
  logPath: 'nginx/1.log',
  labels: { l: '1' },
  annotations: { a: '2' },
  resources: { memoryLimitInBytes: 1 << 26, cpuQuota: 50000, cpuPeriod: 100000, cpuShares: 512 },
};

describe('request building', () => {
  test('sandbox config: metadata, ports, dns, cgroup parent and pod namespace options', () => {
    const w = toWireSandboxConfig(sandbox);
    expect(w.metadata).toEqual({ name: 'web', uid: 'u-1', namespace: 'default', attempt: 2 });
    expect(w.port_mappings).toEqual([{ protocol: 'TCP', container_port: 80, host_port: 8080, host_ip: '127.0.0.1' }]);
    expect(w.dns_config?.servers).toEqual(['10.96.0.10']);
    expect(w.linux.cgroup_parent).toBe('/steer0-pods/podu-1');
    expect(w.linux.security_context.namespace_options).toEqual({ network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
    expect(toWireSandboxConfig({ ...sandbox, dnsConfig: undefined }).dns_config).toBeUndefined();
  });

  test('container config repeats the namespace options and never asks for an oom_score_adj', () => {
    const w = toWireContainerConfig(container);
    expect(w.linux.security_context.namespace_options).toEqual({ network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
    expect(w.linux.resources).toEqual({ cpu_period: 100000, cpu_quota: 50000, cpu_shares: 512, memory_limit_in_bytes: 1 << 26 });
    expect('oom_score_adj' in w.linux.resources).toBe(false);
    expect(w.envs).toEqual([{ key: 'A', value: 'b' }]);
    expect(w.mounts).toEqual([{ container_path: '/data', host_path: '/srv/data', readonly: true }]);
    expect(w.command).toEqual(['/usr/sbin/nginx']);
    expect(w.args).toEqual(['-g', 'daemon off;']);
    expect(w.log_path).toBe('nginx/1.log');
    expect(toWireContainerConfig({ ...container, resources: {} }).linux.resources).toEqual({ cpu_period: 0, cpu_quota: 0, cpu_shares: 0, memory_limit_in_bytes: 0 });
  });

  test('stdin, stdin_once and tty only when asked; a shared or a target PID namespace', () => {
    const w = toWireContainerConfig(container);
    expect(['stdin', 'stdin_once', 'tty'].filter((k) => k in w)).toEqual([]);
    expect(toWireContainerConfig({ ...container, stdin: true, stdinOnce: true, tty: true })).toMatchObject({ stdin: true, stdin_once: true, tty: true });
    expect(toWireContainerConfig({ ...container, stdin: true })).toMatchObject({ stdin: true, stdin_once: false });
    expect(toWireContainerConfig({ ...container, pidNamespace: { pod: true } }).linux.security_context.namespace_options).toEqual({ network: 'POD', pid: 'POD', ipc: 'POD' });
    expect(toWireContainerConfig({ ...container, pidNamespace: { targetId: 'abc' } }).linux.security_context.namespace_options).toEqual({ network: 'POD', pid: 'TARGET', ipc: 'POD', target_id: 'abc' });
    expect(toWireSandboxConfig({ ...sandbox, sharePidNamespace: true }).linux.security_context.namespace_options).toEqual({ network: 'POD', pid: 'POD', ipc: 'POD' });
  });

  test.each([
    ['hostNetwork', { network: true }, 'CONTAINER', { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' }],
    ['hostPID', { pid: true }, 'CONTAINER', { network: 'POD', pid: 'NODE', ipc: 'POD' }],
    ['hostIPC', { ipc: true }, 'CONTAINER', { network: 'POD', pid: 'CONTAINER', ipc: 'NODE' }],
    ['all three', { network: true, pid: true, ipc: true }, 'CONTAINER', { network: 'NODE', pid: 'NODE', ipc: 'NODE' }],
    ['hostPID over a shared PID namespace', { pid: true }, 'POD', { network: 'POD', pid: 'NODE', ipc: 'POD' }],
    ['hostPID over a target', { pid: true }, { targetId: 'abc' }, { network: 'POD', pid: 'NODE', ipc: 'POD' }],
    ['hostNetwork with a target', { network: true }, { targetId: 'abc' }, { network: 'NODE', pid: 'TARGET', ipc: 'POD', target_id: 'abc' }],
    ['none', undefined, 'POD', { network: 'POD', pid: 'POD', ipc: 'POD' }],
  ] as const)('namespace options: %s', (_, host, pid, want) => {
    expect(namespaceOptions(host, pid)).toEqual(want);
  });

  test('the host namespaces go on the sandbox and on every container alike', () => {
    const host = { network: true, pid: true, ipc: true };
    const all = { network: 'NODE', pid: 'NODE', ipc: 'NODE' };
    expect(toWireSandboxConfig({ ...sandbox, hostNamespaces: host }).linux.security_context.namespace_options).toEqual(all);
    expect(toWireContainerConfig({ ...container, hostNamespaces: host }).linux.security_context.namespace_options).toEqual(all);
    expect(toWireContainerConfig({ ...container, hostNamespaces: { network: true }, pidNamespace: { pod: true } }).linux.security_context.namespace_options).toEqual({ network: 'NODE', pid: 'POD', ipc: 'POD' });
  });

  test('the identity goes into the security context: run_as_user/group as Int64Values, supplemental_groups', () => {
    const w = toWireContainerConfig({ ...container, identity: { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [2000, 4000] } });
    expect(w.linux.security_context).toEqual({
      namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' },
      run_as_user: { value: 1000 },
      run_as_group: { value: 3000 },
      supplemental_groups: [2000, 4000],
    });
    // root is a user too: 0 is sent, not dropped
    expect(toWireContainerConfig({ ...container, identity: { runAsUser: 0, supplementalGroups: [] } }).linux.security_context).toEqual({
      namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' },
      run_as_user: { value: 0 },
    });
    // none: the image's user, nothing added
    expect(Object.keys(toWireContainerConfig(container).linux.security_context)).toEqual(['namespace_options']);
    const sb = toWireSandboxConfig({ ...sandbox, identity: { supplementalGroups: [2000] } });
    expect(sb.linux.security_context).toEqual({ namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' }, supplemental_groups: [2000] });
  });
});

test('nsToMs converts int64 nanosecond strings exactly', () => {
  expect(nsToMs('1795417597253176380')).toBe(1795417597253);
  expect(nsToMs('0')).toBe(0);
  expect(nsToMs(undefined)).toBe(0);
});
