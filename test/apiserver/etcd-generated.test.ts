// The etcd message types in apiserver/storage/etcd/generated/ are what `npm run gen:etcd` makes of the
// .proto files in apiserver/storage/etcd/proto/ today (an edited .proto without a regeneration fails
// here), the generator's flags match the options the etcd client loads the .proto files with, and the
// .proto files are etcd's own with only the Go code generation annotations stripped.
import * as path from 'node:path';
import { LOAD_OPTIONS } from '../../apiserver/storage/etcd/client';
import { generatorArgs, regenerate, ROOT, treeFiles } from '../helpers/generated-types';

const GENERATED = 'apiserver/storage/etcd/generated';
const PROTO = 'apiserver/storage/etcd/proto';

test('the committed generated types are up to date with the .proto files', () => {
  const { want, have } = regenerate('gen:etcd', GENERATED);
  expect([...have.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [f, text] of want) expect({ file: f, text: have.get(f) }).toEqual({ file: f, text });
});

test("the generator's flags are the client's load options", () => {
  const args = generatorArgs('gen:etcd');
  expect(args.includes('--keepCase')).toBe(LOAD_OPTIONS.keepCase);
  expect(args.includes('--defaults')).toBe(LOAD_OPTIONS.defaults);
  expect(args.includes('--oneofs')).toBe(LOAD_OPTIONS.oneofs);
  expect(args).toContain(`--longs=${LOAD_OPTIONS.longs.name}`);
  expect(args).toContain(`--enums=${LOAD_OPTIONS.enums.name}`);
  expect(args).toContain(PROTO);
});

test('the .proto files are etcd 3.4 API files without Go generation annotations', () => {
  const protos = treeFiles(path.join(ROOT, PROTO));
  expect([...protos.keys()].sort()).toEqual(['etcd/auth/authpb/auth.proto', 'etcd/etcdserver/etcdserverpb/rpc.proto', 'etcd/mvcc/mvccpb/kv.proto']);
  for (const [f, text] of protos) {
    expect({ f, gogo: /gogoproto|google\.api/.test(text) }).toEqual({ f, gogo: false });
  }
  const rpc = protos.get('etcd/etcdserver/etcdserverpb/rpc.proto') as string;
  for (const service of ['KV', 'Watch', 'Lease', 'Cluster', 'Maintenance', 'Auth']) expect(rpc).toMatch(new RegExp(`^service ${service} \\{`, 'm'));
  // The fields steer relies on, spelled as etcd spells them (keepCase).
  for (const field of ['progress_request', 'prev_kv', 'compact_revision', 'request_put', 'create_revision']) expect(rpc).toContain(field);
});
