// Which kinds are watched at a time. Watches over WebSockets (the browser's default, see reflector.ts)
// do not hold HTTP connections: then every kind a view or the pins ask for is watched. Streamed
// watches do: over HTTP/1.1 a browser opens at most 6 connections to one origin, and every open
// streamed watch holds one, so the hub keeps at most `budget` streamed watches open (5 by default,
// one connection left for lists, actions and log streams), giving them first to the kinds the views
// on screen need, then to the pinned kinds (whose history the console keeps: workloads' timelines), then
// to the most recently used. A kind that loses its slot is paused, not dropped: when it comes back its
// watch resumes from the last resourceVersion and the server replays what happened meanwhile. Over
// HTTP/2 streams share one connection, and the budget is lifted.
import type { Api } from './api';
import { KindName, assumedServed } from './kinds';
import { Reflector, ReflectorOptions } from './reflector';
import type { Store } from './store';

export interface WatchHubOptions extends ReflectorOptions {
  /** Most streamed watches open at once (watches over WebSockets have no budget). */
  budget?: number;
  /** Kinds kept watched when no view needs them (while the budget allows). */
  pinned?: KindName[];
}

export class WatchHub {
  private readonly reflectors = new Map<KindName, Reflector>();
  private readonly demand = new Map<KindName, number>();
  private readonly lastUsed = new Map<KindName, number>();
  private served: Set<KindName> | undefined;
  private tick = 0;
  readonly budget: number;
  private readonly pinned: KindName[];

  constructor(
    private readonly api: Api,
    private readonly store: Store,
    private readonly o: WatchHubOptions = {},
  ) {
    this.budget = o.budget ?? 5;
    this.pinned = o.pinned ?? [];
    // Kinds a view waits for go first: the others start once those are listed (see reschedule).
    // And the budget applies again if the server turns out to refuse WebSocket watches.
    store.subscribe(() => {
      if (this.deferred || this.limited !== !api.watchesOverWebSocket) this.reschedule();
    });
  }

  /** Whether kinds wait to start until the views' kinds are listed. */
  private deferred = false;
  /** Whether the last reschedule applied the budget. */
  private limited = false;

  /** The kinds discovery says the server serves (others are never watched). */
  setServed(kinds: Set<KindName>): void {
    this.served = kinds;
    this.reschedule();
  }

  /**
   * Before discovery answers, the kinds every Kubernetes API serves (core, apps and batch v1) are
   * assumed served, so the first view's lists need not wait for discovery's round trip; the others
   * (StatefulSets) wait for it.
   */
  serves(kind: KindName): boolean {
    return this.served ? this.served.has(kind) : assumedServed(kind);
  }

  /** A view needs these kinds live until it calls the returned release. */
  acquire(kinds: readonly KindName[]): () => void {
    const t = ++this.tick;
    for (const k of kinds) {
      this.demand.set(k, (this.demand.get(k) ?? 0) + 1);
      this.lastUsed.set(k, t);
    }
    this.reschedule();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const k of kinds) this.demand.set(k, Math.max(0, (this.demand.get(k) ?? 1) - 1));
      this.reschedule();
    };
  }

  /** The kinds whose watch is open now. */
  active(): KindName[] {
    return [...this.reflectors.entries()].filter(([, r]) => r.state !== 'paused' && r.state !== 'stopped').map(([k]) => k);
  }

  reflector(kind: KindName): Reflector | undefined {
    return this.reflectors.get(kind);
  }

  /** Reconnect every waiting watch now (the browser is back online). */
  retryNow(): void {
    for (const r of this.reflectors.values()) r.retryNow();
  }

  stop(): void {
    for (const r of this.reflectors.values()) r.stop();
  }

  private reschedule(): void {
    const wanted = [...this.demand.entries()]
      .filter(([k, n]) => n > 0 && this.serves(k))
      .sort((a, b) => (this.lastUsed.get(b[0]) ?? 0) - (this.lastUsed.get(a[0]) ?? 0))
      .map(([k]) => k);
    const order: KindName[] = [...wanted];
    for (const k of this.pinned) if (!order.includes(k) && this.serves(k)) order.push(k);
    const others = [...this.reflectors.keys()].filter((k) => !order.includes(k) && this.serves(k)).sort((a, b) => (this.lastUsed.get(b) ?? 0) - (this.lastUsed.get(a) ?? 0));
    order.push(...others);
    this.limited = !this.api.watchesOverWebSocket;
    const run = new Set(this.limited ? order.slice(0, this.budget) : order);
    for (const [k, r] of this.reflectors) if (!run.has(k)) r.pause();
    // What the screen needs is listed first, alone: a large list nobody looks at yet (events) must not
    // slow the first paint. The rest starts once those are in.
    // Before any view (or the page's boot, ui/session.ts) asked, nothing starts either.
    this.deferred = this.tick === 0 || !wanted.every((k) => this.store.isSynced(k));
    for (const k of run) {
      if (this.deferred && !wanted.includes(k) && !this.reflectors.has(k)) continue;
      let r = this.reflectors.get(k);
      if (!r) this.reflectors.set(k, (r = new Reflector(this.api, k, this.store, this.o)));
      r.start();
    }
  }
}
