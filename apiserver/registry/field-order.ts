// The top-level field order kube-apiserver's JSON serializer writes: Go's encoding/json follows the
// struct, so every object reads `kind`, `apiVersion` (the inlined TypeMeta), `metadata`, then the
// kind's own fields in the order its Go type declares them (`spec` before `status`), whatever order
// the client sent. The Go order comes from go-fields.json (written by scripts/k8s-protos.js from
// k8s.io/api, for the protobuf codec); a kind it lacks (custom resources) keeps its other fields as
// sent, `status` last. Nested objects keep the client's order (not yet Go's).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResourceType } from '../../lib/api/resources';

let goOrder: Map<string, string[]> | undefined;

/** Each message's JSON field names in Go order, read once. */
function messages(): Map<string, string[]> {
  if (goOrder) return goOrder;
  goOrder = new Map();
  const candidates = [path.join(__dirname, '..', 'protobuf', 'proto'), path.resolve(__dirname, '../../../apiserver/protobuf/proto')];
  const dir = candidates.find((p) => fs.existsSync(path.join(p, 'go-fields.json')));
  if (!dir) return goOrder;
  const parsed = JSON.parse(fs.readFileSync(path.join(dir, 'go-fields.json'), 'utf8')) as { messages: Record<string, Record<string, { json?: string }>> };
  for (const [name, fields] of Object.entries(parsed.messages)) goOrder.set(name, Object.entries(fields).map(([k, f]) => f.json ?? k));
  return goOrder;
}

const orderByKind = new Map<string, readonly string[]>();

/** The top-level order of a kind's objects: TypeMeta, metadata, then its Go fields. */
export function topLevelOrder(rt: ResourceType, kind = rt.kind): readonly string[] {
  const key = `${rt.group}/${rt.version}/${kind}`;
  const known = orderByKind.get(key);
  if (known) return known;
  const pkg = rt.group === '' ? 'core' : rt.group.split('.')[0];
  const fields = messages().get(`k8s.io.api.${pkg}.${rt.version}.${kind}`) ?? [];
  const order = ['kind', 'apiVersion', 'metadata', ...fields.filter((f) => f !== 'metadata')];
  orderByKind.set(key, order);
  return order;
}

/** Where a field goes: its place in the order; fields the order lacks after those, `status` last. */
function rankIn(order: readonly string[], k: string): number {
  const i = order.indexOf(k);
  return i >= 0 ? i : k === 'status' ? Number.MAX_SAFE_INTEGER : order.length;
}

/** Puts an object's top-level fields in Go's order, in place (fields the order lacks follow, `status` last). */
export function orderTopLevel(obj: Record<string, unknown>, order: readonly string[]): void {
  const keys = Object.keys(obj);
  const ranks = keys.map((k) => rankIn(order, k));
  if (ranks.every((r, i) => i === 0 || ranks[i - 1] <= r)) return;
  const sorted = keys.map((k, i) => ({ k, i, r: ranks[i] })).sort((a, b) => a.r - b.r || a.i - b.i);
  const values = sorted.map(({ k }) => obj[k]);
  for (const k of keys) delete obj[k];
  sorted.forEach(({ k }, i) => (obj[k] = values[i]));
}
