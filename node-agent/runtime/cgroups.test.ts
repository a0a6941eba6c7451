// Pod cgroup cleanup on a fake cgroupfs.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { removePodCgroups } from './cgroups';

describe('removePodCgroups on a fake cgroupfs', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cgfs-'));
    for (const h of ['memory', 'pids', 'cpu,cpuacct']) fs.mkdirSync(path.join(root, h, 'steer0-pods', 'poda', 'ctr1'), { recursive: true });
    fs.mkdirSync(path.join(root, 'pids', 'steer0-pods', 'podb'), { recursive: true });
    fs.symlinkSync('cpu,cpuacct', path.join(root, 'cpu')); // as on the host: cpu -> cpu,cpuacct
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('removes the pod dir and its empty children in every hierarchy, nothing else', async () => {
    expect(await removePodCgroups('/steer0-pods/poda', root)).toEqual([]);
    for (const h of ['memory', 'pids', 'cpu,cpuacct']) {
      expect(fs.existsSync(path.join(root, h, 'steer0-pods', 'poda'))).toBe(false);
      expect(fs.existsSync(path.join(root, h, 'steer0-pods'))).toBe(true);
    }
    expect(fs.existsSync(path.join(root, 'pids', 'steer0-pods', 'podb'))).toBe(true);
    expect(await removePodCgroups('/steer0-pods/poda', root)).toEqual([]); // again: nothing to do
  });

  test('cgroup v2: the pod dir directly under the unified mount', async () => {
    fs.writeFileSync(path.join(root, 'cgroup.controllers'), 'cpu memory pids\n');
    fs.mkdirSync(path.join(root, 'steer0-pods', 'podc', 'ctr9'), { recursive: true });
    expect(await removePodCgroups('/steer0-pods/podc', root)).toEqual([]);
    expect(fs.existsSync(path.join(root, 'steer0-pods', 'podc'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'steer0-pods'))).toBe(true);
  });

  test('refuses a hierarchy root or a top-level dir', async () => {
    await expect(removePodCgroups('/', root)).rejects.toThrow(/refusing/);
    await expect(removePodCgroups('/steer0-pods', root)).rejects.toThrow(/refusing/);
    await expect(removePodCgroups('/steer0-pods/..', root)).rejects.toThrow(/refusing/);
  });
});
