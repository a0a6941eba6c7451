// The etcd backend against a real etcd (Debian's etcd-server, started here on free ports): the same
// storage contract as memory and LevelDB, then what only a shared store has — two apiservers' replicas
// on one etcd: no lost update, watches across them, consistent reads, compaction and 410.
import { EtcdStorage, EtcdStorageOptions } from '../../apiserver/storage/etcd/storage';
import { ConflictError, KeyExistsError, StorageEvent, TooOldRevisionError } from '../../apiserver/storage/types';
import { describeStorageContract, obj } from '../helpers/storage-contract';
import { startTestEtcd, TestEtcd } from '../helpers/etcd';

let etcd: TestEtcd;
const open: EtcdStorage[] = [];
beforeAll(async () => {
  etcd = await startTestEtcd();
});
afterAll(async () => {
  for (const s of open) await s.close();
  await etcd?.stop();
});

async function openStorage(opts: Partial<EtcdStorageOptions> = {}): Promise<EtcdStorage> {
  const s = await EtcdStorage.open({ endpoints: etcd.endpoints, compactionIntervalMs: 0, log: () => undefined, ...opts });
  open.push(s);
  return s;
}

describeStorageContract({
  name: 'etcd',
  open: async (historySize) => {
    await etcd.wipe();
    return openStorage({ historySize });
  },
});
