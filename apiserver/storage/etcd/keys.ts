// Where objects live in etcd: `<prefix>/<bucket>/<key>`, kube-apiserver's layout (prefix /registry by
// default, --etcd-prefix there): /registry/pods/default/nginx, /registry/namespaces/default,
// /registry/apps/deployments/default/web. One watch over `<prefix>/` feeds each apiserver's replica, so
// a key must map back to its bucket and key without asking anyone: bucket and key each have one or two
// segments ('pods' or 'apps/deployments'; 'ns/name' or 'name'), and the one ambiguous shape — three
// segments — is settled by the buckets this process knows, else by whether the object is namespaced.
// Keys directly under the prefix (one segment) are the storage's own bookkeeping, never objects.
import type { KObj } from '../types';

/** The first key after every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // every byte 0xff: the range runs to the end of the keyspace
}

export class KeyLayout {
  /** `<prefix>/`: every object key starts with it. */
  readonly root: string;
  private readonly buckets = new Set<string>();

  constructor(prefix = '/registry', buckets: Iterable<string> = []) {
    const p = prefix.replace(/\/+$/, '');
    if (!p.startsWith('/')) throw new Error(`etcd prefix must start with "/": ${JSON.stringify(prefix)}`);
    this.root = `${p}/`;
    for (const b of buckets) this.learn(b);
  }

  /** Remembers a bucket (every bucket the storage is asked about), for decoding three-segment keys. */
  learn(bucket: string): void {
    if (this.buckets.has(bucket)) return;
    if (!bucket || bucket.split('/').length > 2 || bucket.split('/').some((s) => !s)) throw new Error(`invalid storage bucket ${JSON.stringify(bucket)}`);
    this.buckets.add(bucket);
  }

  objectKey(bucket: string, key: string): string {
    return `${this.root}${bucket}/${key}`;
  }

  /** A key of the storage's own under the prefix (never an object). */
  internalKey(name: string): string {
    return `${this.root}${name}`;
  }

  /**
   * The bucket and key an etcd key stands for; undefined for the storage's own keys and for shapes no
   * object has. `namespaced` answers, when needed, whether the stored object carries a namespace.
   */
  decode(etcdKey: string, namespaced?: () => boolean): { bucket: string; key: string } | undefined {
    if (!etcdKey.startsWith(this.root)) return undefined;
    const segs = etcdKey.slice(this.root.length).split('/');
    if (segs.length < 2 || segs.length > 4 || segs.some((s) => !s)) return undefined;
    const split = (bucketSegs: number) => ({ bucket: segs.slice(0, bucketSegs).join('/'), key: segs.slice(bucketSegs).join('/') });
    if (segs.length === 2) return split(1);
    if (segs.length === 4) return split(2);
    if (this.buckets.has(`${segs[0]}/${segs[1]}`)) return split(2);
    if (this.buckets.has(segs[0])) return split(1);
    return namespaced?.() ? split(1) : split(2);
  }
}

/** Whether a stored object names a namespace (the third segment of its key is then its name). */
export function hasNamespace(obj: KObj | undefined): boolean {
  return typeof obj?.metadata?.namespace === 'string' && obj.metadata.namespace !== '';
}
