// Expectations, after Kubernetes' UIDTrackingControllerExpectations (pkg/controller/controller_utils.go):
// per owner key, the creates and deletes a controller has issued but not yet seen through its watch.
// While any are pending the owner is not managed again, so a slow watch never makes a controller create
// or delete twice; after a timeout they are no longer trusted (a lost event must not block forever).
// Creates are counted anonymously (ReplicaSet, Job) or by name (DaemonSet: the node each pod is for);
// deletes are tracked by pod uid.
export class Expectations {
  private readonly byKey = new Map<string, { creates: Map<string, number>; deletes: Set<string>; at: number; lost?: { revision?: number } }>();

  constructor(
    private readonly timeoutMs = 60_000,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  /** Expects `n` anonymous creates, or one create per given name. */
  expectCreations(key: string, what: number | string[]): void {
    const e = this.entry(key);
    const names = typeof what === 'number' ? Array<string>(what).fill('') : what;
    for (const name of names) e.creates.set(name, (e.creates.get(name) ?? 0) + 1);
    e.at = this.clock();
  }

  expectDeletions(key: string, uids: string[]): void {
    const e = this.entry(key);
    for (const u of uids) e.deletes.add(u);
    e.at = this.clock();
  }

  /** A pod of the owner showed up (or a create failed, so it never will); by name when created by name. */
  creationObserved(key: string, name = ''): void {
    const creates = this.byKey.get(key)?.creates;
    const n = creates?.get(name) ?? 0;
    if (n > 1) creates!.set(name, n - 1);
    else creates?.delete(name);
  }

  /**
   * A create's answer was lost (the apiserver died with the request): the pod may exist. Its creation
   * stays expected — un-expecting it, as for a refused create, lets the next sync create it again when
   * it did land (a double create) — until settleLostCreates finds the cache past a revision read after
   * the loss.
   */
  creationAnswerLost(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.lost = {};
  }

  /**
   * The revision the cache must reach before the creates whose answers were lost are settled: undefined
   * when none are; 'unread' when the apiserver's revision after the loss is still to be read.
   */
  lostCreatesNeed(key: string): number | 'unread' | undefined {
    const e = this.byKey.get(key);
    if (!e?.lost) return undefined;
    if (e.creates.size === 0) {
      // Every expected create showed up, the lost ones included.
      e.lost = undefined;
      return undefined;
    }
    return e.lost.revision ?? 'unread';
  }

  /** The apiserver's revision, read after the answers were lost. */
  lostCreatesRevision(key: string, revision: number): void {
    const lost = this.byKey.get(key)?.lost;
    if (lost) lost.revision = revision;
  }

  /**
   * The cache is at revision cached: once that is past the revision read after the loss, it shows every
   * pod created before, the lost ones included if they landed, so the creates it has not shown never
   * happened (no new ones were issued meanwhile: an owner is not managed while creates are pending).
   * Returns whether none are left unsettled.
   */
  settleLostCreates(key: string, cached: number): boolean {
    const e = this.byKey.get(key);
    if (!e?.lost) return true;
    if (e.lost.revision === undefined || cached < e.lost.revision) return false;
    e.creates.clear();
    e.lost = undefined;
    return true;
  }

  /** A pod of the owner is gone or going (or its delete failed, so it never will be seen going). */
  deletionObserved(key: string, uid: string): void {
    this.byKey.get(key)?.deletes.delete(uid);
  }

  /**
   * True when nothing is pending, or what is pending is too old to still be trusted. A sync reads this
   * before it reads the cache, never after: an observed pod is in the cache before it lowers the
   * expectations, so only that order guarantees the cache holds every pod the expectations waited for.
   */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if (e.creates.size === 0 && e.deletes.size === 0) return true;
    return this.clock() - e.at > this.timeoutMs;
  }

  /** Forgets the owner (it was deleted). */
  delete(key: string): void {
    this.byKey.delete(key);
  }

  private entry(key: string) {
    let e = this.byKey.get(key);
    if (!e || this.clock() - e.at > this.timeoutMs) {
      e = { creates: new Map(), deletes: new Set(), at: this.clock() };
      this.byKey.set(key, e);
    }
    return e;
  }
}

/**
 * Read-your-writes for a controller's cache: the objects (by name) one owner key's sync created or
 * updated, until the cache shows them — each present, at none of the resourceVersions its writes were
 * based on (two writes in a row, an annotation patch then a status update, leave the cache at the
 * first one's version for a moment: that is not caught up either). A sync that planned from a cache missing its own last writes would count them
 * as never made: a Deployment controller that does not yet see the ReplicaSet it just created (or
 * scaled up) would start another one beyond maxSurge (found by the chaos harness). After the timeout a
 * write is no longer waited for (a lost event must not block forever).
 */
export class CacheWrites {
  private readonly byKey = new Map<string, { pending: Map<string, Set<string | undefined>>; at: number }>();

  constructor(
    private readonly timeoutMs = 30_000,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  /** A write of `name`; `basedOn` is the resourceVersion the cache had (undefined for a create). */
  wrote(key: string, name: string, basedOn: string | undefined): void {
    let e = this.byKey.get(key);
    if (!e) this.byKey.set(key, (e = { pending: new Map(), at: 0 }));
    let stale = e.pending.get(name);
    if (!stale) e.pending.set(name, (stale = new Set()));
    stale.add(basedOn);
    e.at = this.clock();
  }

  /** True when the cache (cached(name): its resourceVersion, undefined if absent) shows every write. */
  caughtUp(key: string, cached: (name: string) => string | undefined): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    for (const [name, stale] of e.pending) {
      const rv = cached(name);
      if (rv !== undefined && !stale.has(rv)) e.pending.delete(name);
    }
    if (e.pending.size === 0 || this.clock() - e.at > this.timeoutMs) {
      this.byKey.delete(key);
      return true;
    }
    return false;
  }

  delete(key: string): void {
    this.byKey.delete(key);
  }
}
