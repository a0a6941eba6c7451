// fsGroup ownership as the kubelet's SetVolumeOwnership applies it: group and modes on every file and
// directory, setgid directories, read-only masks, and fsGroupChangePolicy OnRootMismatch skipping the walk
// when the root already fits (and redoing it when the root does not). Runs as root (chown to any group).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyFsGroup, requiresOwnershipChange } from './local-path';

const asRoot = process.getuid?.() === 0 ? describe : describe.skip;

asRoot('applyFsGroup', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-fsgroup-'));
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, 'sub'), { mode: 0o700 });
    fs.writeFileSync(path.join(dir, 'sub', 'f'), 'x', { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'top'), 'y', { mode: 0o644 });
    fs.symlinkSync('/etc/hostname', path.join(dir, 'link'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const mode = (p: string) => fs.statSync(path.join(dir, p)).mode & 0o7777;
  const gid = (p: string) => fs.statSync(path.join(dir, p)).gid;

  it('gives every file the group with group rw, directories also x and setgid; owners kept, symlinks left', () => {
    const etcHostnameGid = fs.statSync('/etc/hostname').gid;
    expect(applyFsGroup(dir, 2345)).toBe(true);
    for (const p of ['', 'sub', 'sub/f', 'top']) expect(gid(p)).toBe(2345);
    expect(mode('')).toBe(0o2775);
    expect(mode('sub')).toBe(0o2770);
    expect(mode('sub/f')).toBe(0o660);
    expect(mode('top')).toBe(0o664);
    expect(fs.statSync(path.join(dir, 'sub', 'f')).uid).toBe(0);
    expect(fs.statSync('/etc/hostname').gid).toBe(etcHostnameGid);
    // a file made afterwards in a setgid directory gets the group on its own
    fs.writeFileSync(path.join(dir, 'sub', 'new'), 'z');
    expect(gid('sub/new')).toBe(2345);
  });

  it('read only: group read, no write', () => {
    applyFsGroup(dir, 2345, { readOnly: true });
    expect(mode('sub/f')).toBe(0o640);
    expect(mode('sub')).toBe(0o2750);
  });

  it('OnRootMismatch walks while the root does not fit, then skips; Always walks every time', () => {
    expect(requiresOwnershipChange(dir, 2345)).toBe(true);
    expect(applyFsGroup(dir, 2345, { policy: 'OnRootMismatch' })).toBe(true);
    expect(requiresOwnershipChange(dir, 2345)).toBe(false);
    // a file under the root with another group is not looked at once the root fits
    fs.chownSync(path.join(dir, 'top'), 0, 0);
    expect(applyFsGroup(dir, 2345, { policy: 'OnRootMismatch' })).toBe(false);
    expect(gid('top')).toBe(0);
    expect(applyFsGroup(dir, 2345, { policy: 'Always' })).toBe(true);
    expect(gid('top')).toBe(2345);
    // the root losing setgid or group write, or another fsGroup: walked again
    fs.chmodSync(dir, 0o775);
    expect(requiresOwnershipChange(dir, 2345)).toBe(true);
    applyFsGroup(dir, 2345, { policy: 'OnRootMismatch' });
    expect(requiresOwnershipChange(dir, 2345)).toBe(false);
    expect(requiresOwnershipChange(dir, 9999)).toBe(true);
    fs.chmodSync(dir, 0o2705);
    expect(requiresOwnershipChange(dir, 2345)).toBe(true);
  });
});
