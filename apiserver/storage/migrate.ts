// `steer storage migrate`: copies every object of one storage into another (LevelDB → etcd to grow a
// `steer up` cluster into one several apiservers share, etcd → LevelDB back). Every bucket is copied
// (API objects and the Service allocation claims alike), in the order of the source's revisions, one
// create per object: the target stamps each with its own revision, so resourceVersions are renumbered
// consistently — unique, and in the same order as before. The target must be empty. Clients hold
// resourceVersions of the source, which mean nothing in the target: every component is restarted with
// the apiserver (watches and lists start afresh).
import { KObj, Storage, copyStored } from './types';

export interface MigrateResult {
  objects: number;
  buckets: Record<string, number>;
  /** The revision of the first and last copied object in the target. */
  firstRev: number;
  lastRev: number;
}

export async function migrateStorage(from: Storage, to: Storage, progress?: (copied: number, total: number) => void): Promise<MigrateResult> {
  await from.waitForLatest();
  await to.waitForLatest();
  const occupied = to.bucketNames();
  if (occupied.length) throw new Error(`the target storage is not empty (it holds ${occupied.map((b) => `${to.count(b)} ${b}`).join(', ')})`);
  const objects: Array<{ bucket: string; key: string; rev: number; obj: KObj }> = [];
  for (const bucket of from.bucketNames()) {
    const list = await from.list(bucket);
    for (const s of list.items) {
      const obj = copyStored(s);
      const md = obj.metadata;
      const key = typeof md.namespace === 'string' && md.namespace ? `${md.namespace}/${String(md.name)}` : String(md.name);
      objects.push({ bucket, key, rev: s.rev, obj });
    }
  }
  // Keys are namespace/name or name (the registry's keyOf); a stored object whose key would differ is
  // not one the registry wrote.
  for (const o of objects) {
    if (!(await from.get(o.bucket, o.key))) throw new Error(`${o.bucket}: cannot tell the key of ${o.key} from its metadata`);
  }
  objects.sort((a, b) => a.rev - b.rev || a.bucket.localeCompare(b.bucket) || a.key.localeCompare(b.key));
  const result: MigrateResult = { objects: 0, buckets: {}, firstRev: 0, lastRev: 0 };
  for (const o of objects) {
    delete o.obj.metadata.resourceVersion;
    const stored = await to.create(o.bucket, o.key, o.obj);
    if (!result.firstRev) result.firstRev = stored.rev;
    result.lastRev = stored.rev;
    result.objects++;
    result.buckets[o.bucket] = (result.buckets[o.bucket] ?? 0) + 1;
    if (progress && (result.objects % 500 === 0 || result.objects === objects.length)) progress(result.objects, objects.length);
  }
  return result;
}
