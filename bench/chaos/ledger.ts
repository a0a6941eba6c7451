// Answered writes survive the apiserver: a writer creates, updates and deletes ConfigMaps through a
// fault-free client, one request at a time, and remembers what the apiserver answered. Whatever happens
// to the apiserver (a graceful restart, kill -9), what it stores afterwards must hold every write it
// answered: an answered create is there, an answered update is there or a later one is, an answered
// delete stays deleted. A write whose answer never came (the connection died) may or may not have
// landed; the ledger allows both.
import type { ConfigMap } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { isAlreadyExists, isNotFound, KubeClient } from '../../lib/client/client';
import type { Prng } from './prng';

export const LEDGER_LABEL = 'chaos.steer.io/ledger';

/** What the apiserver answered about one ConfigMap. */
export interface LedgerEntry {
  /** The last value an answered write stored (data.v). */
  value: number;
  /** An answered delete. */
  deleted: boolean;
  /** A delete whose answer never came: the object may be there or not. */
  maybeDeleted: boolean;
}

/**
 * The answered writes the stored ConfigMaps (name → data.v) lost. Names the ledger never had an
 * answer for are ignored (a create whose answer was lost may have landed).
 */
export function lostWrites(entries: ReadonlyMap<string, LedgerEntry>, stored: ReadonlyMap<string, number>): string[] {
  const lost: string[] = [];
  for (const [name, e] of entries) {
    const v = stored.get(name);
    if (e.deleted) {
      if (v !== undefined) lost.push(`${name}: deleted (answered), but stored with v=${v}`);
    } else if (e.maybeDeleted) {
      continue;
    } else if (v === undefined) {
      lost.push(`${name}: written with v=${e.value} (answered), but missing`);
    } else if (v < e.value) {
      lost.push(`${name}: updated to v=${e.value} (answered), but stored with v=${v}`);
    }
  }
  return lost;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class WriteLedger {
  readonly entries = new Map<string, LedgerEntry>();
  answered = 0;
  unanswered = 0;
  private seq = 0;
  private stopped = false;
  private loop?: Promise<void>;
  /** Writes and reads of the ledger take turns: a read sees no write half-answered. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly rng: Prng,
    /** Live ConfigMaps the writer keeps at most (older ones are deleted). */
    private readonly maxLive = 60,
  ) {}

  start(intervalMs = 100): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.exclusive(() => this.step());
        await sleep(this.rng.next() * 2 * intervalMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private live(): string[] {
    return [...this.entries].filter(([, e]) => !e.deleted && !e.maybeDeleted).map(([n]) => n);
  }

  /** One write, its answer recorded. */
  async step(): Promise<void> {
    const live = this.live();
    const roll = this.rng.next();
    if (live.length < 5 || (roll < 0.4 && live.length < this.maxLive)) {
      const name = `ledger-${++this.seq}`;
      const cm: ConfigMap = { metadata: { name, namespace: this.namespace, labels: { [LEDGER_LABEL]: 'true' } }, data: { v: '0' } };
      try {
        await this.client.create(Resources.configmaps, this.namespace, cm);
        this.answer(name, { value: 0, deleted: false, maybeDeleted: false });
      } catch (err) {
        // Names are never reused: AlreadyExists is this create landing before a resend of it.
        if (isAlreadyExists(err)) this.answer(name, { value: 0, deleted: false, maybeDeleted: false });
        else this.unanswered++;
      }
    } else if (roll < 0.85 || live.length <= 5) {
      const name = this.rng.pick(live);
      const e = this.entries.get(name)!;
      try {
        await this.client.patch(Resources.configmaps, this.namespace, name, { data: { v: String(e.value + 1) } }, 'merge');
        this.answer(name, { ...e, value: e.value + 1 });
      } catch {
        this.unanswered++;
      }
    } else {
      const name = live[0];
      const e = this.entries.get(name)!;
      try {
        await this.client.delete(Resources.configmaps, this.namespace, name);
        this.answer(name, { ...e, deleted: true });
      } catch (err) {
        if (isNotFound(err)) this.answer(name, { ...e, deleted: true });
        else {
          this.unanswered++;
          this.entries.set(name, { ...e, maybeDeleted: true });
        }
      }
    }
  }

  private answer(name: string, e: LedgerEntry): void {
    this.answered++;
    this.entries.set(name, e);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn, fn);
    this.turn = run.catch(() => undefined);
    return run;
  }

  /** The answered writes the apiserver lost, read now (between two writes). */
  lost(): Promise<string[]> {
    return this.exclusive(async () => {
      const list = await this.client.list<ConfigMap>(Resources.configmaps, { namespace: this.namespace, labelSelector: `${LEDGER_LABEL}=true` });
      const stored = new Map(list.items.map((cm) => [cm.metadata!.name!, Number(cm.data?.v ?? NaN)]));
      return lostWrites(this.entries, stored);
    });
  }
}
