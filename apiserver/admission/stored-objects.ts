// The objects of a few kinds kept in memory from the apiserver's own storage for admission plugins that
// read them on every write (webhook configurations, admission policies and their bindings): a list, then
// a watch from its revision, listed again when the storage loses track of the watch. `onChange` runs after
// every change, with the current objects of every kind.
import type { ResourceType } from '../../lib/api/resources';
import { bucketOf } from '../registry/keys';
import type { KObj, Storage, WatchSubscription } from '../storage/types';

export class StoredObjects {
  private readonly objects = new Map<ResourceType, Map<string, KObj>>();
  private subscriptions: WatchSubscription[] = [];
  private stopped = false;

  constructor(
    private readonly storage: Storage,
    private readonly kinds: readonly ResourceType[],
    private readonly onChange: () => void,
  ) {
    for (const rt of kinds) this.objects.set(rt, new Map());
  }

  /** The objects of one kind, in name order (cluster-scoped kinds; `namespace/name` order otherwise). */
  list(rt: ResourceType): KObj[] {
    return [...(this.objects.get(rt)?.entries() ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, obj]) => obj);
  }

  async start(): Promise<void> {
    for (const rt of this.kinds) await this.follow(rt);
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.subscriptions.splice(0)) s.stop();
  }

  private async follow(rt: ResourceType): Promise<void> {
    if (this.stopped) return;
    const bucket = bucketOf(rt);
    const objects = this.objects.get(rt)!;
    const keyOf = (obj: KObj) => (obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : String(obj.metadata.name));
    const r = await this.storage.list(bucket);
    objects.clear();
    for (const item of r.items) objects.set(keyOf(item.obj), item.obj);
    this.onChange();
    const sub = this.storage.watch(
      bucket,
      r.rev,
      (ev) => {
        if (ev.type === 'DELETED') objects.delete(keyOf(ev.object.obj));
        else objects.set(keyOf(ev.object.obj), ev.object.obj);
        this.onChange();
      },
      undefined,
      () => {
        this.subscriptions = this.subscriptions.filter((s) => s !== sub);
        void this.follow(rt).catch(() => undefined);
      },
    );
    this.subscriptions.push(sub);
  }
}
