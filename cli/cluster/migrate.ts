// `steer storage migrate --to etcd|leveldb`: moves a cluster's objects between the LevelDB of a state
// dir (or --data-dir) and etcd (--etcd-servers, or the state dir's own member from `steer etcd start`).
// The cluster must be down (LevelDB refuses a second opener anyway) and the target empty; the copy keeps
// every object and renumbers resourceVersions in the target's order (apiserver/storage/migrate.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { migrateStorage, openStorage, apiserverBuckets, StorageFlags, storageOptions } from '../../apiserver';
import type { Streams } from '../io';
import { readEtcdCluster } from './etcd';
import { clusterPaths, runningServerPid } from './state';

export interface MigrateFlags extends Omit<StorageFlags, 'storage'> {
  to: string;
  stateDir?: string;
  dataDir?: string;
}

export async function migrate(o: MigrateFlags, streams: Streams): Promise<void> {
  if (o.to !== 'etcd' && o.to !== 'leveldb') throw new Error('--to must be etcd or leveldb');
  const paths = clusterPaths(o.stateDir);
  const pid = runningServerPid(paths);
  if (pid) throw new Error(`steer server (PID ${pid}) runs on ${paths.root}: stop it first (steer down)`);
  const dataDir = path.resolve(o.dataDir ?? paths.apiserverData);
  const etcdServers = o.etcdServers ?? readEtcdCluster(paths.etcd)?.endpoints;
  if (!etcdServers) throw new Error(`no --etcd-servers, and no etcd member under ${paths.etcd} (steer etcd start)`);
  if (o.to === 'etcd' && !fs.existsSync(path.join(dataDir, 'CURRENT'))) throw new Error(`${dataDir} holds no LevelDB data`);
  const buckets = apiserverBuckets();
  // No compaction while copying: the target's first revisions must stay readable for the check below.
  const etcd = await openStorage({ ...storageOptions({ ...o, storage: 'etcd', etcdServers }), etcdCompactionIntervalMs: 0 }, buckets);
  let level: Awaited<ReturnType<typeof openStorage>> | undefined;
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    level = await openStorage({ storage: 'leveldb', dataDir, fsync: true }, buckets);
    const [from, to] = o.to === 'etcd' ? [level, etcd] : [etcd, level];
    const fromName = o.to === 'etcd' ? `LevelDB ${dataDir}` : `etcd ${etcdServers.join(',')}`;
    const toName = o.to === 'etcd' ? `etcd ${etcdServers.join(',')}` : `LevelDB ${dataDir}`;
    streams.err(`copying every object from ${fromName} to ${toName}\n`);
    const r = await migrateStorage(from, to, (copied, total) => streams.err(`  ${copied}/${total}\n`));
    const perBucket = Object.entries(r.buckets).map(([b, n]) => `${n} ${b}`).join(', ');
    streams.out(`copied ${r.objects} objects (${perBucket || 'none'}); resourceVersions ${r.firstRev}–${r.lastRev} in ${toName}\n`);
    if (o.to === 'etcd') streams.out(`start the cluster on it: steer up --etcd${o.stateDir ? ` --state-dir ${o.stateDir}` : ''} (or --storage etcd --etcd-servers ${etcdServers.join(',')})\n`);
  } finally {
    await level?.close();
    await etcd.close();
  }
}
