// Unit tests of the CRI client's pure parts: containerd's verbose sandbox info, and our api.proto
// against the published field numbers (request building and time conversion: convert.test.ts).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as protoLoader from '@grpc/proto-loader';
import { procStartMs, sandboxCgroupParentFromInfo } from './cri-runtime';

test("sandboxCgroupParentFromInfo reads containerd's verbose info", () => {
  expect(sandboxCgroupParentFromInfo({ info: JSON.stringify({ config: { linux: { cgroup_parent: '/p/podx' } } }) })).toBe('/p/podx');
  expect(sandboxCgroupParentFromInfo({ info: '{not json' })).toBeUndefined();
  expect(sandboxCgroupParentFromInfo({})).toBeUndefined();
});

test('procStartMs reads field 22 of /proc/<pid>/stat, whatever the command name holds', () => {
  const rest = 'S 1 100 100 0 -1 4194560 300 0 0 0 1 2 0 0 20 0 1 0 2547854 4321792 200 18446744073709551615';
  expect(procStartMs(`4242 (sleep) ${rest}`)).toBe(25478540);
  expect(procStartMs(`4242 (a) b (c) ${rest}`)).toBe(25478540);
  expect(procStartMs('4242 (x)')).toBeUndefined();
  // This process's own start is before now on the same clock (/proc/uptime).
  const self = procStartMs(fs.readFileSync('/proc/self/stat', 'utf8'))!;
  const uptimeMs = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
  expect(self).toBeLessThanOrEqual(uptimeMs);
  expect(self).toBeGreaterThan(uptimeMs - process.uptime() * 1000 - 5_000);
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
