// `steer down` unmounts what is mounted under the state dir (the node agent's tmpfs for secret,
// projected and downwardAPI volumes); --purge then deletes the dir. The second test mounts a real tmpfs
// (root, as CI runs).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mountPointsUnder } from '../../node-agent';
import { down } from './down';

const mounts = [
  'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
  'steer-memory-volumes /var/lib/steer/agent/memory tmpfs rw,nosuid,nodev,relatime,mode=755 0 0',
  'shm /var/lib/steer/runtime/containerd/state/io.containerd.grpc.v1.cri/sandboxes/abc/shm tmpfs rw 0 0',
  'tmpfs /var/lib/steer-other/agent/memory tmpfs rw 0 0',
  'tmpfs /var/lib/steer/odd\\040name tmpfs rw 0 0',
  'tmpfs /var/lib/steer tmpfs rw 0 0',
  '',
].join('\n');

test('the mount points strictly under the root, deepest first, octal escapes decoded; a sibling with the same prefix is not under it', () => {
  expect(mountPointsUnder(mounts, '/var/lib/steer/')).toEqual([
    '/var/lib/steer/runtime/containerd/state/io.containerd.grpc.v1.cri/sandboxes/abc/shm',
    '/var/lib/steer/agent/memory',
    '/var/lib/steer/odd name',
  ]);
  expect(mountPointsUnder(mounts, '/srv')).toEqual([]);
});

test('down without --purge unmounts a tmpfs under the state dir and keeps the dir', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-down-'));
  const memory = path.join(root, 'agent', 'memory');
  fs.mkdirSync(memory, { recursive: true });
  fs.writeFileSync(path.join(root, 'agent', 'kept'), 'data');
  execFileSync('mount', ['-t', 'tmpfs', 'steer-down-test', memory]);
  try {
    await down({ stateDir: root, purge: false }, { out: () => undefined, err: () => undefined });
    expect(mountPointsUnder(fs.readFileSync('/proc/self/mounts', 'utf8'), root)).toEqual([]);
    expect(fs.readFileSync(path.join(root, 'agent', 'kept'), 'utf8')).toBe('data');
  } finally {
    if (mountPointsUnder(fs.readFileSync('/proc/self/mounts', 'utf8'), root).length) execFileSync('umount', ['-l', memory]);
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('down --purge unmounts a tmpfs under the state dir and removes the dir; nothing is left mounted', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-down-'));
  const memory = path.join(root, 'agent', 'memory');
  fs.mkdirSync(memory, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', 'steer-down-test', memory]);
  try {
    fs.writeFileSync(path.join(memory, 'token'), 'secret');
    const err: string[] = [];
    await down({ stateDir: root, purge: true }, { out: () => undefined, err: (t) => err.push(t) });
    expect(err.join('')).toContain('steer server is not running');
    expect(fs.existsSync(root)).toBe(false);
    expect(mountPointsUnder(fs.readFileSync('/proc/self/mounts', 'utf8'), root)).toEqual([]);
  } finally {
    if (mountPointsUnder(fs.readFileSync('/proc/self/mounts', 'utf8'), root).length) execFileSync('umount', ['-l', memory]);
    fs.rmSync(root, { recursive: true, force: true });
  }
});
