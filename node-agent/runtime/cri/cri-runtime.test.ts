// Unit tests of the CRI client's pure parts: request building (the runtime.md rules), time conversion,
// cgroup cleanup on a fake cgroupfs, and our api.proto against the published field numbers.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as protoLoader from '@grpc/proto-loader';
import { ContainerConfig, PodSandboxConfig } from '../runtime';
import { nsToMs, removePodCgroups, sandboxCgroupParentFromInfo, toWireContainerConfig, toWireSandboxConfig } from './cri-runtime';

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
});

test('nsToMs converts int64 nanosecond strings exactly', () => {
  expect(nsToMs('1795417597253176380')).toBe(1795417597253);
  expect(nsToMs('0')).toBe(0);
  expect(nsToMs(undefined)).toBe(0);
});

test("sandboxCgroupParentFromInfo reads containerd's verbose info", () => {
  expect(sandboxCgroupParentFromInfo({ info: JSON.stringify({ config: { linux: { cgroup_parent: '/p/podx' } } }) })).toBe('/p/podx');
  expect(sandboxCgroupParentFromInfo({ info: '{not json' })).toBeUndefined();
  expect(sandboxCgroupParentFromInfo({})).toBeUndefined();
});

describe('removePodCgroups on a fake cgroupfs', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cgfs-'));
    for (const h of ['memory', 'pids', 'cpu,cpuacct']) fs.mkdirSync(path.join(root, h, 'steer0-pods', 'poda', 'ctr1'), { recursive: true });
    fs.mkdirSync(path.join(root, 'pids', 'steer0-pods', 'podb'), { recursive: true });
    fs.symlinkSync('cpu,cpuacct', path.join(root, 'cpu')); // as on the host: cpu -> cpu,cpuacct
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('removes the pod dir and its empty children in every hierarchy, nothing else', () => {
    expect(removePodCgroups('/steer0-pods/poda', root)).toEqual([]);
    for (const h of ['memory', 'pids', 'cpu,cpuacct']) {
      expect(fs.existsSync(path.join(root, h, 'steer0-pods', 'poda'))).toBe(false);
      expect(fs.existsSync(path.join(root, h, 'steer0-pods'))).toBe(true);
    }
    expect(fs.existsSync(path.join(root, 'pids', 'steer0-pods', 'podb'))).toBe(true);
    expect(removePodCgroups('/steer0-pods/poda', root)).toEqual([]); // again: nothing to do
  });

  test('cgroup v2: the pod dir directly under the unified mount', () => {
    fs.writeFileSync(path.join(root, 'cgroup.controllers'), 'cpu memory pids\n');
    fs.mkdirSync(path.join(root, 'steer0-pods', 'podc', 'ctr9'), { recursive: true });
    expect(removePodCgroups('/steer0-pods/podc', root)).toEqual([]);
    expect(fs.existsSync(path.join(root, 'steer0-pods', 'podc'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'steer0-pods'))).toBe(true);
  });

  test('refuses a hierarchy root or a top-level dir', () => {
    expect(() => removePodCgroups('/', root)).toThrow(/refusing/);
    expect(() => removePodCgroups('/steer0-pods', root)).toThrow(/refusing/);
    expect(() => removePodCgroups('/steer0-pods/..', root)).toThrow(/refusing/);
  });
});

describe('api.proto against the published CRI v1 definition', () => {
  const def = protoLoader.loadSync(path.join(__dirname, 'api.proto'), { keepCase: true });
  type Field = { name: string; number: number; type: string };
  const fields = (msg: string): Record<string, number> => {
    const t = (def[`runtime.v1.${msg}`] as unknown as { type: { field: Field[] } }).type;
    return Object.fromEntries(t.field.map((f) => [f.name, f.number]));
  };

  test('services and methods', () => {
    const rt = def['runtime.v1.RuntimeService'] as unknown as Record<string, { path: string }>;
    expect(rt.RunPodSandbox.path).toBe('/runtime.v1.RuntimeService/RunPodSandbox');
    expect(rt.ContainerStatus.path).toBe('/runtime.v1.RuntimeService/ContainerStatus');
    const img = def['runtime.v1.ImageService'] as unknown as Record<string, { path: string }>;
    expect(img.PullImage.path).toBe('/runtime.v1.ImageService/PullImage');
  });

  test('field numbers of the messages steer sends', () => {
    expect(fields('PodSandboxConfig')).toEqual({ metadata: 1, hostname: 2, log_directory: 3, dns_config: 4, port_mappings: 5, labels: 6, annotations: 7, linux: 8 });
    expect(fields('ContainerConfig')).toMatchObject({ metadata: 1, image: 2, command: 3, args: 4, working_dir: 5, envs: 6, mounts: 7, labels: 9, annotations: 10, log_path: 11, linux: 15 });
    expect(fields('LinuxContainerResources')).toMatchObject({ cpu_period: 1, cpu_quota: 2, cpu_shares: 3, memory_limit_in_bytes: 4, oom_score_adj: 5 });
    expect(fields('LinuxContainerSecurityContext')).toMatchObject({ namespace_options: 3 });
    expect(fields('LinuxSandboxSecurityContext')).toMatchObject({ namespace_options: 1 });
    expect(fields('NamespaceOption')).toMatchObject({ network: 1, pid: 2, ipc: 3 });
    expect(fields('PortMapping')).toEqual({ protocol: 1, container_port: 2, host_port: 3, host_ip: 4 });
    expect(fields('ContainerStatus')).toMatchObject({ state: 3, started_at: 5, finished_at: 6, exit_code: 7, image_ref: 9, reason: 10, log_path: 15 });
    expect(fields('PodSandboxStatus')).toMatchObject({ state: 3, network: 5, labels: 7 });
    expect(fields('KeyValue')).toEqual({ key: 1, value: 2 });
  });
});
