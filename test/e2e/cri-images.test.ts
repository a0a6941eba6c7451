// The image build from Debian packages (build-images.sh + mkoci.sh), away from the shared registry:
// valid OCI layouts with the right config, bit-identical rebuilds, and the registry serving exactly
// what the recipe builds.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureRuntime, IMAGES, scriptsDir } from '../../node-agent/runtime-setup';
import { startTestRuntime, TestRuntime } from './helpers/runtime';

jest.setTimeout(300000);

interface OciIndex {
  manifests: { digest: string; annotations: Record<string, string> }[];
}

function build(dir: string, ...names: string[]): void {
  execFileSync('bash', [path.join(scriptsDir(), 'build-images.sh'), dir, ...names], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function manifestDigest(layout: string): string {
  const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as OciIndex;
  return index.manifests[0].digest;
}

function skopeoInspectConfig(ref: string): { config: { Entrypoint?: string[]; Cmd?: string[]; ExposedPorts?: Record<string, object> } } {
  return JSON.parse(execFileSync('skopeo', ['inspect', '--config', ...(ref.startsWith('docker://') ? ['--tls-verify=false'] : []), ref], { encoding: 'utf8' }));
}

describe('images built from Debian packages', () => {
  let dir: string;
  let rt: TestRuntime | undefined;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-images-'));
    build(dir);
  });
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await rt?.stop();
  });

  test('each build is a one-layer OCI layout with the expected tag and config', () => {
    const pause = skopeoInspectConfig(`oci:${dir}/oci-pause:3.9`);
    expect(pause.config.Entrypoint).toEqual(['/pause']);
    const nginx = skopeoInspectConfig(`oci:${dir}/oci-nginx:1.22`);
    expect(nginx.config.Entrypoint).toEqual(['/usr/sbin/nginx']);
    expect(nginx.config.Cmd).toEqual(['-g', 'daemon off;']);
    expect(Object.keys(nginx.config.ExposedPorts ?? {})).toEqual(['80/tcp']);
    const busybox = skopeoInspectConfig(`oci:${dir}/oci-busybox:1.35`);
    expect(busybox.config.Cmd).toEqual(['sh']);
    // the nginx rootfs carries the libraries it needs: the binary runs in a chroot of it
    const out = execFileSync('chroot', [path.join(dir, 'nginx-rootfs'), '/usr/sbin/nginx', '-t'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe('');
    expect(fs.statSync(path.join(dir, 'pause')).size).toBeLessThan(2 * 1024 * 1024);
  });

  test('a rebuild gives bit-identical manifests', () => {
    const before = ['pause', 'nginx', 'busybox'].map((n) => manifestDigest(path.join(dir, `oci-${n}`)));
    build(dir);
    const after = ['pause', 'nginx', 'busybox'].map((n) => manifestDigest(path.join(dir, `oci-${n}`)));
    expect(after).toEqual(before);
  });

  test('after ensureRuntime the registry serves exactly these images', async () => {
    rt = await startTestRuntime('cri-images');
    const again = await ensureRuntime({ stateDir: rt.stateDir, bridge: rt.bridge, podSubnet: rt.podSubnet, nodeName: `cri-images-${rt.slot}` });
    expect(again.pids.containerd).toBe(rt.pids.containerd);
    for (const [name, ref] of [['pause', IMAGES.pause], ['nginx', IMAGES.nginx], ['busybox', IMAGES.busybox]]) {
      const remote = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' })) as { Digest: string };
      expect(remote.Digest).toBe(manifestDigest(path.join(dir, `oci-${name}`)));
    }
  });
});
