// Which storage an apiserver runs on, from its options: memory (tests; the default without a data
// dir), LevelDB in a data dir (the default with one; `steer up`), or etcd (several apiservers on one
// replicated store: --storage etcd --etcd-servers URL,…, with kube-apiserver's TLS and compaction flags).
import * as fs from 'node:fs';
import { EtcdStorage, type EtcdRequestRecorder } from './etcd/storage';
import { LevelStorage } from './leveldb';
import { MemoryStorage } from './memory';
import type { Storage } from './types';
import type { ValueTransformer } from './encryption';

export type StorageKind = 'leveldb' | 'memory' | 'etcd';
export const STORAGE_KINDS: readonly StorageKind[] = ['leveldb', 'memory', 'etcd'];

export interface StorageOptions {
  /** Default: leveldb when dataDir is given, else memory. */
  storage?: StorageKind;
  /** LevelDB directory. */
  dataDir?: string;
  /** Changes kept for watches and paging (default 10,000). */
  watchHistorySize?: number;
  /** LevelDB: fsync every write batch (survives power loss, not only process kill). */
  fsync?: boolean;
  /** etcd member client URLs (--etcd-servers). */
  etcdServers?: string[];
  /** etcd key prefix (--etcd-prefix, default /registry). */
  etcdPrefix?: string;
  /** PEM files for TLS to etcd (--etcd-cafile, --etcd-certfile, --etcd-keyfile). */
  etcdCAFile?: string;
  etcdCertFile?: string;
  etcdKeyFile?: string;
  /** How often this apiserver compacts etcd (--etcd-compaction-interval; default 5 min, 0 = never). */
  etcdCompactionIntervalMs?: number;
}

/** The storage kind the options select. */
export function storageKind(o: StorageOptions): StorageKind {
  const kind = o.storage ?? (o.dataDir ? 'leveldb' : 'memory');
  if (!STORAGE_KINDS.includes(kind)) throw new Error(`unknown storage ${JSON.stringify(kind)}: one of ${STORAGE_KINDS.join(', ')}`);
  return kind;
}

/**
 * buckets: every bucket the apiserver writes (the etcd storage decodes other apiservers' keys by them);
 * extra.uncachedBuckets: those whose objects LevelDB reads from disk rather than keeping in memory
 * (memory and etcd storage keep every bucket in memory); extra.recordEtcdRequest: told of the etcd
 * requests of object writes (the apiserver's etcd_request_* metrics).
 */
export async function openStorage(o: StorageOptions, buckets: string[] = [], extra: { transformer?: ValueTransformer; uncachedBuckets?: string[]; recordEtcdRequest?: EtcdRequestRecorder } = {}): Promise<Storage> {
  if (extra.transformer && storageKind(o) === 'memory') throw new Error('encryption at rest needs storage leveldb or etcd (memory storage keeps nothing at rest)');
  switch (storageKind(o)) {
    case 'memory':
      return new MemoryStorage({ historySize: o.watchHistorySize });
    case 'leveldb':
      if (!o.dataDir) throw new Error('storage leveldb needs a data directory (--data-dir)');
      return LevelStorage.open(o.dataDir, { historySize: o.watchHistorySize, sync: o.fsync, transformer: extra.transformer, uncachedBuckets: extra.uncachedBuckets });
    case 'etcd': {
      if (!o.etcdServers?.length) throw new Error('storage etcd needs --etcd-servers');
      if (!!o.etcdCertFile !== !!o.etcdKeyFile) throw new Error('--etcd-certfile and --etcd-keyfile go together');
      const read = (f: string | undefined) => (f ? fs.readFileSync(f) : undefined);
      const tls = o.etcdCAFile || o.etcdCertFile ? { ca: read(o.etcdCAFile), cert: read(o.etcdCertFile), key: read(o.etcdKeyFile) } : undefined;
      return EtcdStorage.open({
        endpoints: o.etcdServers,
        prefix: o.etcdPrefix,
        tls,
        compactionIntervalMs: o.etcdCompactionIntervalMs,
        historySize: o.watchHistorySize,
        buckets,
        transformer: extra.transformer,
        recordRequest: extra.recordEtcdRequest,
      });
    }
  }
}
