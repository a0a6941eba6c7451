// SharedInformerFactory: one informer per resource (and selector set) per factory, so that every
// controller in a process shares one list+watch and one cache per kind.
import type { KubeClient, KubeObject } from './client';
import { Informer, InformerOptions } from './informer';
import type { ResourceType } from '../api/resources';

export class SharedInformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly started = new Map<string, Promise<void>>();
  private isStarted = false;

  constructor(
    readonly client: KubeClient,
    private readonly defaults: InformerOptions = {},
  ) {}

  /** The informer for a resource; created on first request, started by start() (or at once if started). */
  informerFor<T extends KubeObject>(resource: ResourceType, opts: InformerOptions = {}): Informer<T> {
    const merged = { ...this.defaults, ...opts };
    const key = this.keyOf(resource, opts);
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer<KubeObject>(this.client, resource, merged);
      this.informers.set(key, inf);
      if (this.isStarted) this.startOne(key, inf);
    }
    return inf as unknown as Informer<T>;
  }

  /** Starts every informer not started yet (and any requested later). Does not wait for sync. */
  start(): void {
    this.isStarted = true;
    for (const [key, inf] of this.informers) if (!this.started.has(key)) this.startOne(key, inf);
  }

  /** Resolves when every started informer has its first list cached. */
  async waitForSync(): Promise<void> {
    let n = -1;
    // Informers requested while waiting are waited for too.
    while (n !== this.started.size) {
      n = this.started.size;
      await Promise.all(this.started.values());
    }
  }

  /**
   * Stops and drops the informer of a resource (and selector set) that is no longer served (a deleted
   * CRD's kind), so that it does not retry its list forever; a later informerFor makes a new one.
   */
  forget(resource: ResourceType, opts: InformerOptions = {}): void {
    const key = this.keyOf(resource, opts);
    this.informers.get(key)?.stop();
    this.informers.delete(key);
    this.started.delete(key);
  }

  private keyOf(resource: ResourceType, opts: InformerOptions): string {
    const merged = { ...this.defaults, ...opts };
    return [resource.group, resource.version, resource.resource, merged.namespace ?? '', merged.labelSelector ?? '', merged.fieldSelector ?? ''].join('|');
  }

  stop(): void {
    this.isStarted = false;
    for (const inf of this.informers.values()) inf.stop();
    this.started.clear();
  }

  private startOne(key: string, inf: Informer<KubeObject>): void {
    const p = inf.start();
    p.catch(() => undefined); // surfaced by waitForSync
    this.started.set(key, p);
  }
}
