// The etcd message types in apiserver/storage/etcd/generated/ are what `npm run gen:etcd` makes of the
// .proto files in apiserver/storage/etcd/proto/ today (an edited .proto without a regeneration fails
// here), the generator's flags match the options the etcd client loads the .proto files with, and the
// .proto files are etcd's own with only the Go code generation annotations stripped.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOAD_OPTIONS } from '../../apiserver/storage/etcd/client';

const root = path.join(__dirname, '..', '..');
const GENERATED = 'apiserver/storage/etcd/generated';
const PROTO = 'apiserver/storage/etcd/proto';

/** The proto-loader-gen-types command line of the npm script, as arguments. */
function generatorArgs(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const gen = pkg.scripts['gen:etcd'].split('&&').map((s) => s.trim()).find((s) => s.startsWith('proto-loader-gen-types '));
  if (!gen) throw new Error('gen:etcd does not run proto-loader-gen-types');
  return gen.split(/\s+/).slice(1);
}

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

test('the committed generated types are up to date with the .proto files', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-gen-etcd-'));
  try {
    const args = generatorArgs().map((a) => (a === GENERATED ? tmp : a));
    expect(args).toContain(tmp);
    execFileSync(path.join(root, 'node_modules', '.bin', 'proto-loader-gen-types'), args, { cwd: root, stdio: 'pipe' });
    const want = files(tmp);
    const have = files(path.join(root, GENERATED));
    expect([...have.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [f, text] of want) expect({ file: f, text: have.get(f) }).toEqual({ file: f, text });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("the generator's flags are the client's load options", () => {
  const args = generatorArgs();
  expect(args.includes('--keepCase')).toBe(LOAD_OPTIONS.keepCase);
  expect(args.includes('--defaults')).toBe(LOAD_OPTIONS.defaults);
  expect(args.includes('--oneofs')).toBe(LOAD_OPTIONS.oneofs);
  expect(args).toContain(`--longs=${LOAD_OPTIONS.longs.name}`);
  expect(args).toContain(`--enums=${LOAD_OPTIONS.enums.name}`);
  expect(args).toContain(PROTO);
});

test('the .proto files are etcd 3.4 API files without Go generation annotations', () => {
  const protos = files(path.join(root, PROTO));
  expect([...protos.keys()].sort()).toEqual(['etcd/auth/authpb/auth.proto', 'etcd/etcdserver/etcdserverpb/rpc.proto', 'etcd/mvcc/mvccpb/kv.proto']);
  for (const [f, text] of protos) {
    expect({ f, gogo: /gogoproto|google\.api/.test(text) }).toEqual({ f, gogo: false });
  }
  const rpc = protos.get('etcd/etcdserver/etcdserverpb/rpc.proto') as string;
  for (const service of ['KV', 'Watch', 'Lease', 'Cluster', 'Maintenance', 'Auth']) expect(rpc).toMatch(new RegExp(`^service ${service} \\{`, 'm'));
  // The fields steer relies on, spelled as etcd spells them (keepCase).
  for (const field of ['progress_request', 'prev_kv', 'compact_revision', 'request_put', 'create_revision']) expect(rpc).toContain(field);
});
