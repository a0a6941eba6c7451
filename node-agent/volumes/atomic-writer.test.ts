// The atomic writer on a real directory: kubelet's layout (a version directory, ..data, one symlink per
// name), modes whatever the umask, no write when nothing changed, names that go away, and a reader in
// another process that never sees a half-written file while versions are swapped under it.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validatePath, writeAtomically } from './atomic-writer';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-atomic-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the kubelet layout: a version directory behind ..data, user-visible symlinks, modes as given', async () => {
  expect(await writeAtomically(dir, { token: { data: 'tok', mode: 0o600 }, 'ca.crt': { data: 'CA' }, 'sub/dir/file': { data: 'x', mode: 0o640 } })).toBe(true);
  const version = fs.readlinkSync(path.join(dir, '..data'));
  expect(version).toMatch(/^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.[0-9a-f]+$/);
  expect(fs.readlinkSync(path.join(dir, 'token'))).toBe('..data/token');
  expect(fs.readlinkSync(path.join(dir, 'sub'))).toBe('..data/sub');
  expect(fs.readFileSync(path.join(dir, 'token'), 'utf8')).toBe('tok');
  expect(fs.readFileSync(path.join(dir, 'sub/dir/file'), 'utf8')).toBe('x');
  expect(fs.statSync(path.join(dir, 'token')).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.join(dir, 'ca.crt')).mode & 0o777).toBe(0o644);
  expect(fs.statSync(path.join(dir, 'sub/dir/file')).mode & 0o777).toBe(0o640);
  expect(fs.readdirSync(dir).sort()).toEqual(['..data', version, 'ca.crt', 'sub', 'token'].sort());
});

test('an unchanged payload is not rewritten; a change swaps versions and drops what went away', async () => {
  await writeAtomically(dir, { a: { data: '1' }, b: { data: '2' } });
  const v1 = fs.readlinkSync(path.join(dir, '..data'));
  expect(await writeAtomically(dir, { a: { data: '1' }, b: { data: '2' } })).toBe(false);
  expect(fs.readlinkSync(path.join(dir, '..data'))).toBe(v1);
  expect(await writeAtomically(dir, { a: { data: '1', mode: 0o600 }, b: { data: '2' } })).toBe(true); // a mode change counts
  expect(await writeAtomically(dir, { a: { data: 'new' } })).toBe(true);
  const v3 = fs.readlinkSync(path.join(dir, '..data'));
  // The version just replaced stays until the next write, for readers caught in the swap.
  expect(fs.readdirSync(dir).filter((e) => e.startsWith('..2')).length).toBe(2);
  await writeAtomically(dir, { a: { data: 'newer' } });
  const v4 = fs.readlinkSync(path.join(dir, '..data'));
  expect(fs.readdirSync(dir).sort()).toEqual(['..data', v3, v4, 'a'].sort());
  expect(fs.readFileSync(path.join(dir, 'a'), 'utf8')).toBe('newer');
});

test('leftovers of an interrupted write (a stale ..data_tmp, a plain file where a link goes, a half-written version) are replaced', async () => {
  const target = path.join(dir, 'interrupted');
  fs.mkdirSync(path.join(target, '..2020_01_01_00_00_00.abc'), { recursive: true });
  fs.symlinkSync('..2020_01_01_00_00_00.abc', path.join(target, '..data_tmp'));
  fs.writeFileSync(path.join(target, 'token'), 'stale');
  expect(await writeAtomically(target, { token: { data: 't1' }, namespace: { data: 'default' } })).toBe(true);
  expect(fs.readlinkSync(path.join(target, 'token'))).toBe(path.join('..data', 'token'));
  expect(fs.readFileSync(path.join(target, 'token'), 'utf8')).toBe('t1');
  expect(fs.readFileSync(path.join(target, 'namespace'), 'utf8')).toBe('default');
  expect(fs.existsSync(path.join(target, '..data_tmp'))).toBe(false);
  expect(fs.readdirSync(target).filter((e) => e.startsWith('..20')).length).toBe(1);
});

test('paths that would leave the volume are refused', async () => {
  for (const p of ['/etc/passwd', '../x', 'a/../../x', '..data', '']) expect(() => validatePath(p)).toThrow();
  await expect(writeAtomically(dir, { '../escape': { data: 'x' } })).rejects.toThrow(/must not contain '..'/);
});

test('a reader in another process never sees a partial or mixed version', async () => {
  // Big files: a non-atomic rewrite would be caught half-way.
  const version = (i: number) => ({ token: { data: `${i}:`.padEnd(256 * 1024, String(i % 10)) }, 'ca.crt': { data: `ca-${i}` } });
  await writeAtomically(dir, version(0));
  const stop = path.join(dir, '..stop');
  const reader = spawn(process.execPath, [
    '-e',
    `const fs=require('fs');const d=${JSON.stringify(dir)};let bad=0,reads=0;
     while(!fs.existsSync(${JSON.stringify(stop)})){
       try{const t=fs.readFileSync(d+'/token','utf8');const i=t.split(':')[0];reads++;
         if(t.length!==262144||t!==(i+':').padEnd(262144,String(Number(i)%10)))bad++;}catch(e){bad++;}}
     process.stdout.write(JSON.stringify({bad,reads}));`,
  ]);
  let out = '';
  reader.stdout.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 1; i <= 150; i++) {
    await writeAtomically(dir, version(i));
    await new Promise((r) => setImmediate(r));
  }
  fs.writeFileSync(stop, '');
  await new Promise((r) => reader.on('close', r));
  const { bad, reads } = JSON.parse(out) as { bad: number; reads: number };
  expect(reads).toBeGreaterThan(0);
  expect(bad).toBe(0);
  expect(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8')).toBe('ca-150');
});
