// Serving CustomResourceDefinitions (kube's apiextensions-apiserver controllers, run inside the
// apiserver as there): every CRD in storage is followed through a watch. Its names are checked against
// the other CRDs of its group (NamesAccepted), each served version is registered in the server's kind
// catalog as a kind of the strategy table (Established), storedVersions records the storage version,
// and a CRD being deleted first has its objects deleted (the cleanup finalizer), then goes and stops
// being served. At start the CRDs already stored are served before the first request.
import { groupVersion, Resources, type ResourceType } from '../../lib/api/resources';
import type { KindStrategy } from '../kinds/strategy';
import { ApiStatusError } from '../errors';
import { bucketOf } from '../registry/keys';
import type { Registry } from '../registry/registry';
import { rfc3339 } from '../../lib/api/time';
import type { KObj, WatchSubscription } from '../storage/types';
import { customKindStrategy } from './custom-kind';
import { CleanupFinalizer, type CrdCondition, type CrdNames, type CustomResourceDefinition } from './types';

const attached = new WeakMap<Registry, CrdServing>();

/** The CRD serving of a registry, when its server serves CRDs. */
export function crdServingOf(registry: Registry): CrdServing | undefined {
  return attached.get(registry);
}

const CRDS = Resources.customresourcedefinitions;

/** The names of `names` that another CRD of the group has accepted already; '' when none. */
export function nameConflict(names: CrdNames, others: CrdNames[]): { reason: string; message: string } | undefined {
  for (const o of others) {
    const taken = new Set([o.plural, o.singular, ...(o.shortNames ?? [])].filter(Boolean) as string[]);
    if (taken.has(names.plural)) return { reason: 'PluralConflict', message: `"${names.plural}" is already in use` };
    if (names.singular && taken.has(names.singular)) return { reason: 'SingularConflict', message: `"${names.singular}" is already in use` };
    for (const s of names.shortNames ?? []) if (taken.has(s)) return { reason: 'ShortNamesConflict', message: `"${s}" is already in use` };
    const kinds = new Set([o.kind, o.listKind].filter(Boolean));
    if (kinds.has(names.kind)) return { reason: 'KindConflict', message: `"${names.kind}" is already in use` };
    if (names.listKind && kinds.has(names.listKind)) return { reason: 'ListKindConflict', message: `"${names.listKind}" is already in use` };
  }
  return undefined;
}

function setCondition(conditions: CrdCondition[], c: CrdCondition): CrdCondition[] {
  const old = conditions.find((x) => x.type === c.type);
  if (old && old.status === c.status && old.reason === c.reason && old.message === c.message) return conditions;
  const next = { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : rfc3339() };
  return [...conditions.filter((x) => x.type !== c.type), next];
}

export class CrdServing {
  /** CRD name → the kinds registered for it (one per served version). */
  private readonly served = new Map<string, KindStrategy[]>();
  private sub?: WatchSubscription;
  private chain: Promise<void> = Promise.resolve();
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly registry: Registry) {
    attached.set(registry, this);
  }

  /** Serves the stored CRDs, then follows changes. */
  async start(): Promise<void> {
    const list = await this.registry.storage.list(bucketOf(CRDS));
    for (const s of list.items) await this.sync(String(s.obj.metadata.name));
    this.sub = this.registry.storage.watch(bucketOf(CRDS), list.rev, (ev) => {
      void this.sync(ev.key);
    });
  }

  stop(): void {
    this.stopped = true;
    this.sub?.stop();
    if (this.retry) clearTimeout(this.retry);
  }

  /** The kinds served for a CRD (its versions), for tests and the OpenAPI documents. */
  kindsOf(crdName: string): readonly KindStrategy[] {
    return this.served.get(crdName) ?? [];
  }

  /** Brings one CRD's serving up to date; runs one at a time. */
  sync(name: string): Promise<void> {
    const run = this.chain.then(() => (this.stopped ? undefined : this.syncNow(name)));
    this.chain = run.catch((err: unknown) => {
      process.stderr.write(`apiserver: customresourcedefinition ${name}: ${(err as Error).message}\n`);
    });
    return this.chain;
  }

  private async syncNow(name: string): Promise<void> {
    const stored = await this.registry.storage.get(bucketOf(CRDS), name);
    if (!stored) return this.unserve(name);
    const crd = stored.obj as unknown as CustomResourceDefinition;
    if (crd.metadata.deletionTimestamp) return this.cleanUp(crd);

    const others: CrdNames[] = [];
    for (const o of (await this.registry.storage.list(bucketOf(CRDS))).items) {
      const oc = o.obj as unknown as CustomResourceDefinition;
      if (oc.metadata.name !== name && oc.spec.group === crd.spec.group && oc.status?.acceptedNames?.plural) others.push(oc.status.acceptedNames);
    }
    const conflict = nameConflict(crd.spec.names, others);
    const previous = crd.status?.acceptedNames?.plural ? crd.status.acceptedNames : undefined;
    const accepted = conflict ? previous : crd.spec.names;
    let conditions = crd.status?.conditions ?? [];
    conditions = setCondition(conditions, conflict
      ? { type: 'NamesAccepted', status: 'False', reason: conflict.reason, message: conflict.message }
      : { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' });
    if (accepted) this.serve(crd, accepted);
    conditions = setCondition(conditions, accepted
      ? { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }
      : { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' });
    const storage = crd.spec.versions.find((v) => v.storage)?.name;
    const storedVersions = [...(crd.status?.storedVersions ?? [])];
    if (storage && !storedVersions.includes(storage)) storedVersions.push(storage);
    const status = { ...crd.status, conditions, acceptedNames: accepted ?? { plural: '', kind: '' }, storedVersions };
    if (JSON.stringify(status) === JSON.stringify(crd.status)) return;
    await this.registry.guaranteedUpdate(CRDS, undefined, name, (copy) => ({ ...copy, status }), { trusted: true }, 'status').catch((err: unknown) => {
      if (!(err instanceof ApiStatusError && err.code === 404)) throw err;
    });
  }

  /** Registers the served versions under the accepted names; unregisters what is no longer served. */
  private serve(crd: CustomResourceDefinition, names: CrdNames): void {
    const name = String(crd.metadata.name);
    const next = crd.spec.versions.filter((v) => v.served).map((v) => customKindStrategy(crd, v, names));
    const keep = new Set(next.map((s) => `${groupVersion(s.resource)}/${s.resource.resource}`));
    for (const old of this.served.get(name) ?? []) {
      if (!keep.has(`${groupVersion(old.resource)}/${old.resource.resource}`)) this.registry.kinds.unregister(old.resource);
    }
    for (const s of next) this.registry.kinds.register(s);
    this.served.set(name, next);
  }

  private unserve(name: string): void {
    for (const s of this.served.get(name) ?? []) this.registry.kinds.unregister(s.resource);
    this.served.delete(name);
  }

  /** Deletes the CRD's objects; once none is left, removes the cleanup finalizer (the CRD then goes). */
  private async cleanUp(crd: CustomResourceDefinition): Promise<void> {
    const name = String(crd.metadata.name);
    const rt: ResourceType | undefined = this.served.get(name)?.[0]?.resource;
    let remaining = 0;
    if (rt) {
      const items = (await this.registry.storage.list(bucketOf(rt))).items;
      remaining = items.length;
      for (const item of items) {
        if (item.obj.metadata.deletionTimestamp) continue;
        await this.registry.delete(rt, item.obj.metadata.namespace, String(item.obj.metadata.name), { propagationPolicy: 'Background' }).catch((err: unknown) => {
          if (!(err instanceof ApiStatusError && err.code === 404)) throw err;
        });
      }
      remaining = (await this.registry.storage.list(bucketOf(rt))).items.length;
    }
    if (remaining > 0) {
      // Objects with finalizers of their own: look again shortly.
      if (!this.retry) this.retry = setTimeout(() => ((this.retry = undefined), void this.sync(name)), 1000);
      return;
    }
    if (!(crd.metadata.finalizers ?? []).includes(CleanupFinalizer)) return;
    await this.registry
      .guaranteedUpdate(CRDS, undefined, name, (copy: KObj) => {
        copy.metadata.finalizers = ((copy.metadata.finalizers as string[] | undefined) ?? []).filter((f) => f !== CleanupFinalizer);
        return copy;
      }, { trusted: true }, 'all')
      .catch((err: unknown) => {
        if (!(err instanceof ApiStatusError && err.code === 404)) throw err;
      });
  }
}
