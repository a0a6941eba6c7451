// Namespace lifecycle, as Kubernetes' does it: a new namespace gets its default ServiceAccount (and gets
// it back when it is deleted); DELETE
// marks the namespace Terminating (new content is refused); the NamespaceCleaner loop deletes
// everything in it through the normal delete path (so running pods still get their graceful stop by the
// node agent), and removes the namespace itself once it is empty and has no finalizers left.
import { randomUUID } from 'node:crypto';
import { Resources } from '../../lib/api/resources';
import { rfc3339 } from '../../lib/api/time';
import { ApiStatusError, errors } from '../errors';
import { KeyExistsError, type StoredObject } from '../storage/types';
import { bucketOf, keyOf } from './keys';
import { finalizersOf, isPlainObject } from './objects';
import type { DeleteOptions, DeleteResult, Registry, WriteContext } from './registry';

const INTERVAL_MS = 500;

/** The ServiceAccount every namespace has (Kubernetes' ServiceAccount controller makes it). */
export async function createDefaultServiceAccount(registry: Registry, namespace: string): Promise<void> {
  const sa = Resources.serviceaccounts;
  try {
    await registry.storage.create(
      bucketOf(sa),
      keyOf(sa, namespace, 'default'),
      registry.inKubeOrder(sa, { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: 'default', namespace, uid: randomUUID(), creationTimestamp: rfc3339() } }),
    );
  } catch (err) {
    if (!(err instanceof KeyExistsError)) throw err;
  }
}

/**
 * A deleted `default` ServiceAccount comes back at once while its namespace is active (Kubernetes'
 * ServiceAccount controller does the same): pods that name no service account need it.
 */
export function recreateDefaultServiceAccount(registry: Registry, removed: StoredObject): void {
  const md = removed.obj.metadata;
  if (md.name !== 'default' || !md.namespace) return;
  const namespace = md.namespace;
  void (async () => {
    const ns = await registry.storage.get(bucketOf(Resources.namespaces), namespace);
    if (!ns || ns.obj.metadata.deletionTimestamp) return;
    await createDefaultServiceAccount(registry, namespace);
  })().catch((err: unknown) => process.stderr.write(`apiserver: re-creating ${namespace}/default ServiceAccount: ${(err as Error).message}\n`));
}

/** Marks a namespace Terminating; NamespaceCleaner empties and removes it. */
export async function deleteNamespace(registry: Registry, name: string, opts: DeleteOptions, ctx: WriteContext): Promise<DeleteResult> {
  const rt = Resources.namespaces;
  if (['default', 'kube-system', 'kube-public'].includes(name)) throw errors.forbidden(rt, name, 'this namespace may not be deleted');
  const current = await registry.get(rt, undefined, name);
  const pre = opts.preconditions;
  if (pre?.uid && pre.uid !== current.obj.metadata.uid) throw errors.conflict(rt, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(current.obj.metadata.uid)}`);
  if (current.obj.metadata.deletionTimestamp || ctx.dryRun) return { object: current, removed: false };
  const stored = await registry.guaranteedUpdate(rt, undefined, name, (ns) => {
    ns.metadata.deletionTimestamp = rfc3339();
    ns.metadata.deletionGracePeriodSeconds = 0;
    ns.status = { ...(isPlainObject(ns.status) ? ns.status : {}), phase: 'Terminating' };
    return ns;
  }, ctx, 'all');
  return { object: stored, removed: false };
}

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
        for (const rt of this.registry.kinds.all().filter((r) => r.namespaced)) {
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
