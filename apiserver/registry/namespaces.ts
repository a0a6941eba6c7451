// Namespace deletion, as Kubernetes' namespace lifecycle does it: DELETE marks the namespace
// Terminating (new content is refused), this loop deletes everything in it through the normal delete
// path (so running pods still get their graceful stop by the node agent), and the namespace itself is
// removed once it is empty and has no finalizers left.
import { allResources, Resources } from '../../lib/api/resources';
import { ApiStatusError } from '../errors';
import { finalizersOf } from './objects';
import { bucketOf, Registry } from './registry';

const INTERVAL_MS = 500;

export class NamespaceCleaner {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly registry: Registry) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass over every terminating namespace. */
  async sweep(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const storage = this.registry.storage;
      const list = await storage.list(bucketOf(Resources.namespaces));
      for (const ns of list.items) {
        if (!ns.obj.metadata.deletionTimestamp || !this.timer) continue;
        const name = String(ns.obj.metadata.name);
        let remaining = 0;
        for (const rt of allResources.filter((r) => r.namespaced)) {
          const items = (await storage.list(bucketOf(rt), { prefix: `${name}/` })).items;
          remaining += items.length;
          for (const item of items) {
            if (item.obj.metadata.deletionTimestamp) continue;
            try {
              await this.registry.delete(rt, name, String(item.obj.metadata.name), { propagationPolicy: 'Background' });
            } catch (err) {
              if (!(err instanceof ApiStatusError)) throw err;
            }
          }
        }
        if (remaining === 0 && finalizersOf(ns.obj).length === 0) {
          const current = await storage.get(bucketOf(Resources.namespaces), name);
          if (current) await storage.delete(bucketOf(Resources.namespaces), name, current.rev).catch(() => undefined);
        }
      }
    } catch (err) {
      process.stderr.write(`apiserver: namespace cleanup: ${(err as Error).message}\n`);
    } finally {
      this.running = false;
    }
  }
}
