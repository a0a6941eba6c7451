// kube-apiserver's etcd compactor (staging/src/k8s.io/apiserver/pkg/storage/etcd3/compact.go): every
// interval each apiserver tries a compare-and-swap on the version of <prefix>/compact_rev_key; the one
// that moves it from the version it saw compacts etcd to the revision it saw one round earlier, and
// writes that revision as the key's value; the others learn the new version and try next round. So
// etcd is compacted once per interval whatever the number of apiservers (after a failover: within two
// intervals), always keeping at least one interval of history. The key lives under the prefix, so
// every apiserver's replica sees each compaction and forgets the history before it (410 for watches
// from before it).
import type { EtcdClient } from './client';

export class Compactor {
  /** The version of the key this apiserver last saw, and the revision it saw then. */
  private version = 0;
  private candidate = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: EtcdClient,
    /** <prefix>/compact_rev_key. */
    readonly key: string,
    private readonly log: (msg: string) => void,
  ) {}

  /** Runs a round every intervalMs (0: never). */
  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => void this.tick().catch((err: Error) => this.log(`compaction: ${err.message}`)), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round. */
  async tick(): Promise<void> {
    const k = Buffer.from(this.key);
    const candidate = this.candidate;
    const res = await this.client.txn({
      compare: [{ key: k, target: 'VERSION', result: 'EQUAL', version: this.version }],
      success: [{ request_put: { key: k, value: Buffer.from(String(candidate)) } }],
      failure: [{ request_range: { key: k } }],
    });
    this.candidate = Number(res.header?.revision ?? 0);
    if (!res.succeeded) {
      this.version = Number(res.responses[0]?.response_range?.kvs?.[0]?.version ?? 0);
      return;
    }
    this.version++;
    // The first round after a start has nothing to compact (compact.go: "We don't compact on bootstrap").
    if (candidate > 0) await this.compactEtcd(candidate);
  }

  /** Compacts to rev now, announced through the key like a round's; resolves with the key's revision. */
  async compactNow(rev: number): Promise<number> {
    const res = await this.client.put({ key: Buffer.from(this.key), value: Buffer.from(String(rev)) });
    await this.compactEtcd(rev);
    return Number(res.header?.revision ?? 0);
  }

  private async compactEtcd(rev: number): Promise<void> {
    try {
      await this.client.compact(rev);
      this.log(`compacted etcd to revision ${rev}`);
    } catch (err) {
      // Another apiserver (or an operator) compacted past it already.
      if (!/compacted/.test((err as Error).message)) throw err;
    }
  }
}
