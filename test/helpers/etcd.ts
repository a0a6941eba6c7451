// Starts etcd members (Debian's /usr/bin/etcd) for a test: free loopback ports, a temporary data dir,
// stopped by PID and removed by stop(). Also a raw client for wiping the keyspace between tests.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EtcdCluster, startEtcd, stopEtcd } from '../../cli/cluster/etcd';
import { EtcdClient } from '../../apiserver/storage/etcd/client';
import { freePort } from '../../bench/load';

export interface TestEtcd extends EtcdCluster {
  dir: string;
  /** Deletes every key (a fresh keyspace; the revision keeps counting). */
  wipe(): Promise<void>;
  stop(): Promise<void>;
}

export { freePort } from '../../bench/load';

export async function startTestEtcd(members: 1 | 3 = 1): Promise<TestEtcd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-etcd-'));
  const ports: Array<{ client: number; peer: number }> = [];
  for (let i = 0; i < members; i++) ports.push({ client: await freePort(), peer: await freePort() });
  let cluster: EtcdCluster;
  try {
    cluster = await startEtcd({ dir, members, ports });
  } catch (err) {
    await stopEtcd(dir, 2000);
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const client = new EtcdClient({ endpoints: cluster.endpoints });
  return {
    ...cluster,
    dir,
    async wipe() {
      await client.deleteRange({ key: Buffer.from([0]), range_end: Buffer.from([0]) });
    },
    async stop() {
      client.close();
      await stopEtcd(dir, 5000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
