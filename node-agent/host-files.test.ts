// A local-path claim's directory, made on the node on first use: world-writable as k3s's helper makes
// it, whatever the umask; a directory already there keeps the mode it has.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { prepareVolume } from './host-files';

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
