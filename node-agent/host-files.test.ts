// A local-path claim's directory, made on the node on first use: world-writable as k3s's helper makes
// it, whatever the umask; a directory already there keeps the mode it has. An emptyDir of medium Memory:
// its own tmpfs, sized as the kubelet's, and removed with the pod.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { etcHostsContent, podMemoryDir, prepareVolume, removePodDirs, unmountableClaims, writeEtcHosts } from './host-files';
import { unmountUnder } from './mounts';

describe('prepareVolume for a local-path claim', () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-host-files-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [] } };
  const data = {
    configMaps: {},
    secrets: {},
    claims: { c: { claim: {}, volume: { metadata: { name: 'pvc-1', annotations: { 'pv.kubernetes.io/provisioned-by': 'steer.io/local-path' } } } } },
  };
  const volume = { name: 'd', persistentVolumeClaim: { claimName: 'c' } };

  it('makes the directory 0777 despite the umask', async () => {
    const dir = path.join(root, 'storage', 'pvc-1');
    const old = process.umask(0o022);
    try {
      await prepareVolume(volume, dir, { pod, data });
    } finally {
      process.umask(old);
    }
    expect(fs.statSync(dir).mode & 0o7777).toBe(0o777);
  });

  it('leaves the mode of a directory that exists alone', async () => {
    const dir = path.join(root, 'pvc-1');
    fs.mkdirSync(dir, { mode: 0o750 });
    fs.chmodSync(dir, 0o750);
    await prepareVolume(volume, dir, { pod, data });
    expect(fs.statSync(dir).mode & 0o7777).toBe(0o750);
  });
});

// An emptyDir of medium Memory: a tmpfs of its own, of the kubelet's size (real mounts: root, as CI runs).
describe('prepareVolume for an emptyDir of medium Memory', () => {
  let state: string;
  beforeEach(() => (state = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-host-files-'))));
  afterEach(async () => {
    await unmountUnder(state);
    fs.rmSync(state, { recursive: true, force: true });
  });

  const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [{ name: 'c', resources: { limits: { memory: '64Mi' } } }] } };
  const data = { configMaps: {}, secrets: {} };
  const scratch = (sizeLimit?: string) => ({ name: 'scratch', emptyDir: { medium: 'Memory', ...(sizeLimit ? { sizeLimit } : {}) } });
  const volumeDir = () => path.join(podMemoryDir(state, 'u'), 'volumes', 'kubernetes.io~empty-dir', 'scratch');
  const mountOf = (dir: string) => fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === dir);

  it('mounts a tmpfs of the sizeLimit: a write past it fails with ENOSPC; set up again, it keeps its files', async () => {
    const dir = volumeDir();
    await prepareVolume(scratch('1Mi'), dir, { pod, data }, { memoryBacked: true });
    expect(mountOf(dir)).toMatch(/ tmpfs rw,nosuid,nodev,.*size=1024k/);
    expect(fs.statSync(dir).mode & 0o7777).toBe(0o1777);
    fs.writeFileSync(path.join(dir, 'small'), Buffer.alloc(512 * 1024));
    expect(() => fs.writeFileSync(path.join(dir, 'big'), Buffer.alloc(1024 * 1024))).toThrow(/ENOSPC/);
    await prepareVolume(scratch('1Mi'), dir, { pod, data }, { memoryBacked: true });
    expect(fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[1] === dir)).toHaveLength(1);
    expect(fs.statSync(path.join(dir, 'small')).size).toBe(512 * 1024);
  });

  it("without a sizeLimit, the pod's memory limit", async () => {
    const dir = volumeDir();
    await prepareVolume(scratch(), dir, { pod, data }, { memoryBacked: true });
    expect(mountOf(dir)).toMatch(/size=65536k/);
  });

  it('a directory that holds files already is left as it is, not hidden under a tmpfs', async () => {
    const dir = volumeDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'kept'), 'x');
    await prepareVolume(scratch('1Mi'), dir, { pod, data }, { memoryBacked: true });
    expect(mountOf(dir)).toBeUndefined();
    expect(fs.readFileSync(path.join(dir, 'kept'), 'utf8')).toBe('x');
  });

  it('not memory-backed: a plain world-writable directory', async () => {
    const dir = volumeDir();
    await prepareVolume(scratch('1Mi'), dir, { pod, data }, { memoryBacked: false });
    expect(mountOf(dir)).toBeUndefined();
    expect(fs.statSync(dir).mode & 0o7777).toBe(0o777);
  });

  it('removing the pod dirs unmounts the tmpfs and removes everything', async () => {
    const dir = volumeDir();
    await prepareVolume(scratch('1Mi'), dir, { pod, data }, { memoryBacked: true });
    fs.writeFileSync(path.join(dir, 'f'), 'x');
    await removePodDirs(state, 'u');
    expect(mountOf(dir)).toBeUndefined();
    expect(fs.existsSync(podMemoryDir(state, 'u'))).toBe(false);
  });

  it('media the node does not set up are refused with the reason', async () => {
    await expect(prepareVolume({ name: 'h', emptyDir: { medium: 'HugePages-2Mi' } }, volumeDir(), { pod, data }, { memoryBacked: true })).rejects.toThrow(
      'emptyDir medium "HugePages-2Mi" is not supported on this node',
    );
    await expect(prepareVolume({ name: 'x', emptyDir: { medium: 'Disk' } }, volumeDir(), { pod, data })).rejects.toThrow('unknown storage medium "Disk"');
  });
});

describe("the pod's /etc/hosts, as the kubelet writes it", () => {
  const aliases = [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }];
  const pod = (spec: Partial<NonNullable<Pod['spec']>>): Pod => ({ metadata: { name: 'web-1', namespace: 'default' }, spec: { containers: [], ...spec } });

  test('its own: localhost, the pod IP under its hostname, then the host aliases', () => {
    const text = etcHostsContent(pod({ hostAliases: aliases }), '10.88.0.5', 'ignored');
    expect(text.split('\n')).toEqual([
      '# Kubernetes-managed hosts file.',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'fe00::0\tip6-mcastprefix',
      'fe00::1\tip6-allnodes',
      'fe00::2\tip6-allrouters',
      '10.88.0.5\tweb-1',
      '',
      '# Entries added by HostAliases.',
      '10.1.2.3\tfoo.local\tbar.local',
      '',
    ]);
    expect(etcHostsContent(pod({ hostname: 'h' }), '10.88.0.5', '')).toContain('10.88.0.5\th\n');
    expect(etcHostsContent(pod({}), '10.88.0.5', '')).not.toContain('HostAliases');
  });

  test("on the host network: the node's hosts file under a header, then the host aliases", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etc-hosts-'));
    try {
      fs.writeFileSync(path.join(dir, 'node-hosts'), '127.0.0.1\tlocalhost\n192.0.2.2\tnode-a\n');
      const file = path.join(dir, 'pod', 'etc-hosts');
      await writeEtcHosts(file, pod({ hostNetwork: true, hostAliases: aliases }), '', path.join(dir, 'node-hosts'));
      expect(fs.readFileSync(file, 'utf8')).toBe('# Kubernetes-managed hosts file (host network).\n127.0.0.1\tlocalhost\n192.0.2.2\tnode-a\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n');
      await writeEtcHosts(file, pod({ hostNetwork: true }), '', path.join(dir, 'missing'));
      expect(fs.readFileSync(file, 'utf8')).toBe('# Kubernetes-managed hosts file (host network).\n\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('unmountableClaims', () => {
  const pod: Pod = {
    metadata: { name: 'web', namespace: 'default', uid: 'pod-uid' },
    spec: { containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'] } } } }] },
  };
  const bound = (owner?: string) => ({
    claim: { metadata: { name: 'web-scratch', namespace: 'default', ownerReferences: owner ? [{ apiVersion: 'v1', kind: 'Pod', name: 'web', uid: owner, controller: true }] : undefined }, status: { phase: 'Bound' } },
    volume: { metadata: { name: 'pvc-1' }, spec: { local: { path: '/storage/pvc-1' } } },
  });
  test.each<[string, Parameters<typeof unmountableClaims>[1], string | undefined]>([
    ['not made yet', { configMaps: {}, secrets: {}, claims: {} }, 'persistentvolumeclaim "web-scratch" not found'],
    ["the pod's own, bound", { configMaps: {}, secrets: {}, claims: { 'web-scratch': bound('pod-uid') } }, undefined],
    ['made by someone else', { configMaps: {}, secrets: {}, claims: { 'web-scratch': bound() } }, 'PVC default/web-scratch was not created for pod default/web (pod is not owner)'],
    ['made for an earlier pod of that name', { configMaps: {}, secrets: {}, claims: { 'web-scratch': bound('old-uid') } }, 'PVC default/web-scratch was not created for pod default/web (pod is not owner)'],
  ])("an ephemeral volume's claim %s", (_what, data, why) => {
    expect(unmountableClaims(pod, data)).toBe(why);
  });
});
