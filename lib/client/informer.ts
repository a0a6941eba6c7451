// Informer: list + watch one resource into a local, indexed cache and tell handlers about changes.
// Modelled on client-go's reflector/ListWatch: list, then watch from the list's resourceVersion; when
// the server closes the watch cleanly, resume from the last resourceVersion seen; re-list only on
// 410 Gone. The cache (ObjectStore) is pure and unit-tested without a server.
import type { Status } from 'kubernetes-types/meta/v1';
import { ApiError, isGone, KubeClient, KubeObject, WatchEvent, WatchHandle } from './client';
import { ResourceType } from '../api/resources';

export type IndexFunc<T> = (obj: T) => string[];

/** "namespace/name" for a namespaced object, "name" for a cluster-scoped one. */
export function objectKey(obj: KubeObject): string {
  const md = obj.metadata || {};
  return md.namespace ? `${md.namespace}/${md.name ?? ''}` : `${md.name ?? ''}`;
}

/** Splits a key made by objectKey. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * The object as an informer caches it: without metadata.managedFields, which no steer component reads
 * (client-go's SetTransform is used for the same). A pod's managedFields are about a third of its JSON
 * and every informer of pods holds its own copy. A PUT of a cached object keeps the stored
 * managedFields: the apiserver takes an update without them as leaving them unchanged, as kube does.
 */
export function withoutManagedFields<T extends KubeObject>(obj: T): T {
  const md = obj.metadata;
  if (!md || md.managedFields === undefined) return obj;
  // A new metadata object rather than `delete`, which would leave the object in V8's slower dictionary mode.
  const { managedFields: _dropped, ...rest } = md;
  return { ...obj, metadata: rest };
}

export type CacheDelta<T> =
  | { type: 'add'; obj: T }
  | { type: 'update'; old: T; obj: T }
  | { type: 'delete'; obj: T };

/** The indexes every informer has. */
export function defaultIndexers<T extends KubeObject>(): Record<string, IndexFunc<T>> {
  return {
    namespace: (o) => (o.metadata?.namespace ? [o.metadata.namespace] : []),
    nodeName: (o) => {
      const spec = (o as { spec?: { nodeName?: string } }).spec;
      return spec?.nodeName ? [spec.nodeName] : [];
    },
    ownerUid: (o) => {
      return (o.metadata?.ownerReferences || []).map((r) => r.uid).filter((u) => !!u);
    },
  };
}

/** A keyed object cache with secondary indexes. Applying events returns what changed. */
export class ObjectStore<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  // index name → index value → keys
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = defaultIndexers<T>()) {
    for (const [name, fn] of Object.entries(indexers)) this.addIndex(name, fn);
  }

  addIndex(name: string, fn: IndexFunc<T>): void {
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    for (const [key, obj] of this.items) this.indexOne(index, fn, key, obj);
  }

  get size(): number {
    return this.items.size;
  }

  getByKey(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  byIndex(name: string, value: string): T[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`no index named ${name}`);
    const keys = index.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const o = this.items.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  /** Applies one ADDED/MODIFIED/DELETED event; undefined when nothing changed (same resourceVersion). */
  applyEvent(ev: WatchEvent<T>): CacheDelta<T> | undefined {
    if (ev.type === 'DELETED') return this.remove(ev.object);
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') return this.upsert(ev.object);
    return undefined;
  }

  upsert(obj: T): CacheDelta<T> | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old && old.metadata?.resourceVersion && old.metadata.resourceVersion === obj.metadata?.resourceVersion) {
      return undefined;
    }
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old ? { type: 'update', old, obj } : { type: 'add', obj };
  }

  remove(obj: T): CacheDelta<T> | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    // The last state the server reported is the most useful one to hand to a delete handler.
    return { type: 'delete', obj };
  }

  /** Replaces the whole content with a fresh list; returns the adds, updates and deletes that implies. */
  replace(items: T[]): CacheDelta<T>[] {
    const deltas: CacheDelta<T>[] = [];
    const seen = new Set<string>();
    for (const obj of items) {
      seen.add(objectKey(obj));
      const d = this.upsert(obj);
      if (d) deltas.push(d);
    }
    for (const [key, old] of [...this.items]) {
      if (seen.has(key)) continue;
      this.unindex(key, old);
      this.items.delete(key);
      deltas.push({ type: 'delete', obj: old });
    }
    return deltas;
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) this.indexOne(this.indices.get(name)!, fn, key, obj);
  }

  private indexOne(index: Map<string, Set<string>>, fn: IndexFunc<T>, key: string, obj: T): void {
    for (const v of fn(obj)) {
      let set = index.get(v);
      if (!set) index.set(v, (set = new Set()));
      set.add(key);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      for (const v of fn(obj)) {
        const set = index.get(v);
        if (!set) continue;
        set.delete(key);
        if (set.size === 0) index.delete(v);
      }
    }
  }
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Back-off bounds after a failed list or a broken watch. */
  minRetryMs?: number;
  maxRetryMs?: number;
}

type AddHandler<T> = (obj: T) => void;
type UpdateHandler<T> = (oldObj: T, newObj: T) => void;
type DeleteHandler<T> = (obj: T) => void;

export class Informer<T extends KubeObject> {
  private readonly store = new ObjectStore<T>();
  private readonly addHandlers: AddHandler<T>[] = [];
  private readonly updateHandlers: UpdateHandler<T>[] = [];
  private readonly deleteHandlers: DeleteHandler<T>[] = [];
  private synced = false;
  private stopped = false;
  private running?: Promise<void>;
  private watchHandle?: WatchHandle;
  private lastResourceVersion = '';
  private wake?: () => void;
  private abortWatch?: () => void;
  private readonly minRetryMs: number;
  private readonly maxRetryMs: number;
  /** Whether the current (or last) watch stream delivered any event. */
  private watchDelivered = false;

  constructor(
    private readonly client: KubeClient,
    readonly resource: ResourceType,
    private readonly opts: InformerOptions = {},
  ) {
    this.minRetryMs = opts.minRetryMs ?? 200;
    this.maxRetryMs = opts.maxRetryMs ?? 5000;
  }

  /** Starts listing and watching; resolves once the first list is in the cache. */
  start(): Promise<void> {
    if (!this.running) {
      this.stopped = false;
      this.running = new Promise<void>((resolveSynced, rejectSynced) => {
        void this.loop(resolveSynced, rejectSynced);
      });
    }
    return this.running;
  }

  stop(): void {
    this.stopped = true;
    this.abortWatch?.();
    this.wake?.();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** The resourceVersion of the last list or event seen. */
  resourceVersion(): string {
    return this.lastResourceVersion;
  }

  /** Registers an add handler; once synced, it is called at once for every cached object. */
  onAdd(fn: AddHandler<T>): void {
    this.addHandlers.push(fn);
    if (this.synced) for (const o of this.store.list()) this.call(() => fn(o));
  }

  onUpdate(fn: UpdateHandler<T>): void {
    this.updateHandlers.push(fn);
  }

  onDelete(fn: DeleteHandler<T>): void {
    this.deleteHandlers.push(fn);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.getByKey(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.store.getByKey(key);
  }

  list(namespace?: string): T[] {
    return namespace ? this.store.byIndex('namespace', namespace) : this.store.list();
  }

  addIndex(name: string, fn: IndexFunc<T>): void {
    this.store.addIndex(name, fn);
  }

  byIndex(name: string, value: string): T[] {
    return this.store.byIndex(name, value);
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      // One faulty handler must not stop the informer or the other handlers.
      console.error(`informer ${this.resource.resource}: handler failed:`, err);
    }
  }

  private dispatch(d: CacheDelta<T>): void {
    if (d.type === 'add') for (const h of this.addHandlers) this.call(() => h(d.obj));
    else if (d.type === 'update') for (const h of this.updateHandlers) this.call(() => h(d.old, d.obj));
    else for (const h of this.deleteHandlers) this.call(() => h(d.obj));
  }

  private async sleepUnlessStopped(ms: number): Promise<void> {
    if (this.stopped) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private async listIntoCache(): Promise<void> {
    const res = await this.client.list<T>(this.resource, {
      namespace: this.opts.namespace,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
    });
    const items = (res.items || []).map((o) =>
      withoutManagedFields({
        ...o,
        // Lists carry kind/apiVersion on the list only; handlers expect them on each object.
        apiVersion: o.apiVersion ?? res.apiVersion,
        kind: o.kind ?? res.kind?.replace(/List$/, ''),
      }),
    );
    const deltas = this.store.replace(items);
    this.lastResourceVersion = res.metadata?.resourceVersion || '';
    for (const d of deltas) this.dispatch(d);
  }

  /** Watches until the stream ends; returns 'relist' on 410 Gone, 'resume' on a clean close. */
  private watchOnce(): Promise<'relist' | 'resume' | 'error'> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (how: 'relist' | 'resume' | 'error') => {
        if (settled) return;
        settled = true;
        this.abortWatch = undefined;
        this.watchHandle?.stop();
        this.watchHandle = undefined;
        resolve(how);
      };
      this.abortWatch = () => settle('resume');
      this.watchDelivered = false;
      this.client
        .watch<T>(
          this.resource,
          {
            namespace: this.opts.namespace,
            labelSelector: this.opts.labelSelector,
            fieldSelector: this.opts.fieldSelector,
            resourceVersion: this.lastResourceVersion,
            allowWatchBookmarks: true,
            // Like client-go: a random 5–10 minute timeout so that many watchers don't reconnect together.
            timeoutSeconds: 300 + Math.floor(Math.random() * 300),
          },
          (ev) => {
            if (settled) return;
            if (ev.type === 'ERROR') {
              const st = ev.object as unknown as Status;
              settle(st && st.code === 410 ? 'relist' : 'error');
              return;
            }
            this.watchDelivered = true;
            const rv = ev.object?.metadata?.resourceVersion;
            if (rv) this.lastResourceVersion = rv;
            if (ev.type === 'BOOKMARK') return;
            const d = this.store.applyEvent(ev.object ? { ...ev, object: withoutManagedFields(ev.object) } : ev);
            if (d) this.dispatch(d);
          },
          (err) => {
            if (!err) settle('resume');
            else settle(isGone(err) ? 'relist' : 'error');
          },
        )
        .then((h) => {
          if (settled || this.stopped) h.stop();
          else this.watchHandle = h;
          if (this.stopped) settle('resume');
        })
        .catch(() => settle('error'));
    });
  }

  private async loop(resolveSynced: () => void, rejectSynced: (err: Error) => void): Promise<void> {
    let needList = true;
    let delay = this.minRetryMs;
    while (!this.stopped) {
      if (needList) {
        try {
          await this.listIntoCache();
          needList = false;
          delay = this.minRetryMs;
          if (!this.synced) {
            this.synced = true;
            resolveSynced();
          }
        } catch (err) {
          if (err instanceof ApiError && err.code >= 400 && err.code < 500 && err.code !== 429 && !this.synced) {
            // A bad selector or a missing resource will not fix itself: report it to the starter.
            this.stopped = true;
            rejectSynced(err);
            return;
          }
          await this.sleepUnlessStopped(delay);
          delay = Math.min(delay * 2, this.maxRetryMs);
          continue;
        }
      }
      if (this.stopped) break;
      const how = await this.watchOnce();
      if (this.stopped) break;
      if (how === 'relist') needList = true;
      else if (how === 'error') {
        // A broken connection: retry the watch from the last resourceVersion after a pause. A watch that
        // delivered events was up, so its break starts a new run of pauses rather than lengthening the last.
        if (this.watchDelivered) delay = this.minRetryMs;
        await this.sleepUnlessStopped(delay);
        delay = Math.min(delay * 2, this.maxRetryMs);
      } else {
        delay = this.minRetryMs;
      }
    }
    if (!this.synced) rejectSynced(new Error(`informer ${this.resource.resource} stopped before it synced`));
    this.running = undefined;
  }
}
