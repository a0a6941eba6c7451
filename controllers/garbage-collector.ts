// Garbage collector: cascading deletion through ownerReferences, after Kubernetes' garbage collector.
// - Background (the default): the owner goes at once; its dependents then have no owner left and are
//   deleted here. Found after a restart too: every object with ownerReferences is checked at start.
// - Foreground: the apiserver keeps the owner with the `foregroundDeletion` finalizer; the dependents
//   are deleted (foreground in turn), and once none with blockOwnerDeletion is left the finalizer is
//   removed, which lets the apiserver remove the owner.
// - Orphan: the `orphan` finalizer; dependents lose their reference to the owner, then the finalizer goes.
// An owner missing from the cache is confirmed with a live GET before anything is deleted, so a watch
// that lags behind a new owner never costs a dependent. Custom resources are collected too: the
// collector follows CustomResourceDefinitions and watches each established CRD's storage version,
// until the CRD is deleted.
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { isNotFound, KubeObject } from '../lib/client/client';
import { Controller, ControllerContext, runWorkers } from '../lib/client/controller';
import type { Informer } from '../lib/client/informer';
import { objectKey } from '../lib/client/informer';
import { Resources, ResourceType, resourceForKind } from '../lib/api/resources';
import { WorkQueue } from '../lib/client/workqueue';

export const ForegroundFinalizer = 'foregroundDeletion';
export const OrphanFinalizer = 'orphan';

/** The ResourceType of an established CRD's storage version; undefined while it is not served. */
export function customResourceOf(crd: KubeObject): ResourceType | undefined {
  const c = crd as KubeObject & {
    spec?: { group?: string; scope?: string; versions?: Array<{ name: string; storage?: boolean }> };
    status?: { acceptedNames?: { plural?: string; kind?: string; listKind?: string; singular?: string }; conditions?: Array<{ type: string; status: string }> };
  };
  const names = c.status?.acceptedNames;
  const version = c.spec?.versions?.find((v) => v.storage)?.name;
  const established = c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True');
  if (!established || !names?.plural || !names.kind || !version || !c.spec?.group || c.metadata?.deletionTimestamp) return undefined;
  return {
    group: c.spec.group,
    version,
    resource: names.plural,
    kind: names.kind,
    listKind: names.listKind || `${names.kind}List`,
    singular: names.singular || names.kind.toLowerCase(),
    namespaced: c.spec.scope === 'Namespaced',
    shortNames: [],
    categories: [],
    subresources: [],
  };
}

/** The built-in kinds the collector watches (owners and dependents alike); custom ones are added as CRDs appear. */
export const collectedResources: ResourceType[] = [
  Resources.deployments,
  Resources.replicasets,
  Resources.replicationcontrollers,
  Resources.daemonsets,
  // A StatefulSet owns its pods, ControllerRevisions and (by its claim retention policy) claims: in the
  // graph, a pod's owner is known without asking the API, and revisions and claims go with their owner.
  Resources.statefulsets,
  Resources.controllerrevisions,
  Resources.persistentvolumeclaims,
  Resources.jobs,
  Resources.pods,
  Resources.services,
  Resources.endpoints,
  Resources.configmaps,
  Resources.secrets,
];

export type OwnerState = 'present' | 'absent' | 'deleting-foreground';

export interface DependentDecision {
  /** Delete the dependent (every owner is gone, or one is being deleted in the foreground). */
  delete?: 'Background' | 'Foreground';
  /** Remove these dangling references (some owners gone, others still there). */
  removeRefs?: string[];
}

/** The pure rule for one dependent, given what became of each of its owners (by uid). */
export function decideDependent(refs: OwnerReference[], owners: Map<string, OwnerState>): DependentDecision {
  if (refs.length === 0) return {};
  const states = refs.map((r) => owners.get(r.uid) ?? 'present');
  if (states.some((s) => s === 'deleting-foreground')) {
    // Kubernetes deletes the dependents of a foreground-deleted owner, in the foreground themselves.
    return { delete: 'Foreground' };
  }
  if (states.every((s) => s === 'absent')) return { delete: 'Background' };
  const dangling = refs.filter((_r, i) => states[i] === 'absent').map((r) => r.uid);
  return dangling.length ? { removeRefs: dangling } : {};
}

/** What a deleting owner still waits for under foreground deletion: dependents that block it. */
export function blockingDependents(ownerUid: string, dependents: KubeObject[]): KubeObject[] {
  return dependents.filter((d) => (d.metadata?.ownerReferences || []).some((r) => r.uid === ownerUid && r.blockOwnerDeletion === true));
}

const keySep = '|';

export interface GarbageCollectorOptions {
  workers?: number;
}

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector';
  private readonly queue = new WorkQueue<string>('garbagecollector', { maxDelayMs: 30_000 });
  /** Informers and kinds by 'group/resource', the key of the queue's items. */
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly kinds = new Map<string, ResourceType>();
  private readonly crds: Informer<KubeObject>;
  private started = false;
  /** uid → where the object lives (resource name + key), for owner look-ups. */
  private readonly byUid = new Map<string, { resource: string; key: string }>();
  private readonly workers: number;
  private running?: Promise<void>;

  constructor(
    private readonly ctx: ControllerContext,
    opts: GarbageCollectorOptions = {},
  ) {
    this.workers = opts.workers ?? 5;
    for (const r of collectedResources) this.collect(r);
    this.crds = ctx.informers.informerFor<KubeObject>(Resources.customresourcedefinitions);
  }

  /** Watches a kind (once); its informer starts at once when the collector already runs. */
  private collect(rt: ResourceType): void {
    const key = `${rt.group}/${rt.resource}`;
    if (this.kinds.has(key)) return;
    const inf = this.ctx.informers.informerFor<KubeObject>(rt);
    this.kinds.set(key, rt);
    this.informers.set(key, inf);
    if (this.started) {
      this.handle(key, inf);
      void inf.start().catch(() => undefined);
    }
  }

  /**
   * A CRD is gone, so is its kind (kube's GC drops the monitors of resources that left discovery):
   * its informer stops instead of re-listing a 404 forever. A terminating CRD is still followed, so the
   * deletions of its objects are seen; a CRD created again under the same names is collected afresh.
   */
  private forgetCrd(crd: KubeObject): void {
    const c = crd as KubeObject & { spec?: { group?: string; names?: { plural?: string } }; status?: { acceptedNames?: { plural?: string } } };
    const plurals = new Set([c.status?.acceptedNames?.plural, c.spec?.names?.plural].filter(Boolean));
    for (const [key, rt] of this.kinds) {
      if (rt.group !== c.spec?.group || !plurals.has(rt.resource) || collectedResources.includes(rt)) continue;
      this.ctx.informers.forget(rt);
      this.kinds.delete(key);
      this.informers.delete(key);
      for (const [uid, loc] of this.byUid) if (loc.resource === key) this.byUid.delete(uid);
    }
  }

  /** The kinds being collected, as 'group/resource'. */
  collecting(): string[] {
    return [...this.kinds.keys()];
  }

  private handle(key: string, inf: Informer<KubeObject>): void {
    inf.onAdd((o) => this.changed(key, o));
    inf.onUpdate((_old, o) => this.changed(key, o));
    inf.onDelete((o) => this.deleted(o));
  }

  async start(): Promise<void> {
    for (const [key, inf] of this.informers) this.handle(key, inf);
    const followCrd = (crd: KubeObject) => {
      const rt = customResourceOf(crd);
      if (rt) this.collect(rt);
    };
    this.crds.onAdd(followCrd);
    this.crds.onUpdate((_old, crd) => followCrd(crd));
    this.crds.onDelete((crd) => this.forgetCrd(crd));
    this.started = true;
    this.ctx.informers.start();
    await Promise.all([...this.informers.values(), this.crds].map((i) => i.start()));
    this.running = runWorkers(this.queue, this.workers, (key) => this.sync(key), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  async stopped(): Promise<void> {
    await this.running;
  }

  private changed(resource: string, o: KubeObject): void {
    const uid = o.metadata?.uid;
    if (uid) this.byUid.set(uid, { resource, key: objectKey(o) });
    const md = o.metadata || {};
    const finalizers = md.finalizers || [];
    const interesting =
      (md.ownerReferences?.length ?? 0) > 0 ||
      (md.deletionTimestamp && (finalizers.includes(ForegroundFinalizer) || finalizers.includes(OrphanFinalizer)));
    if (interesting) this.queue.add(resource + keySep + objectKey(o));
    // A dependent's change (e.g. it went away or lost its blockOwnerDeletion) may unblock a deleting owner.
    for (const ref of md.ownerReferences || []) this.enqueueUid(ref.uid);
  }

  private deleted(o: KubeObject): void {
    const uid = o.metadata?.uid;
    if (!uid) return;
    this.byUid.delete(uid);
    // Its dependents may now be orphans; its owners may now be unblocked.
    for (const d of this.dependentsOf(uid)) this.enqueueObj(d);
    for (const ref of o.metadata?.ownerReferences || []) this.enqueueUid(ref.uid);
  }

  private enqueueUid(uid: string): void {
    const loc = this.byUid.get(uid);
    if (loc) this.queue.add(loc.resource + keySep + loc.key);
  }

  private enqueueObj(o: KubeObject): void {
    const loc = o.metadata?.uid ? this.byUid.get(o.metadata.uid) : undefined;
    if (loc) this.queue.add(loc.resource + keySep + loc.key);
  }

  private dependentsOf(uid: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const inf of this.informers.values()) out.push(...inf.byIndex('ownerUid', uid));
    return out;
  }

  private async sync(qkey: string): Promise<void> {
    const sep = qkey.indexOf(keySep);
    const resource = qkey.slice(0, sep);
    const key = qkey.slice(sep + 1);
    const inf = this.informers.get(resource);
    const rt = this.kinds.get(resource);
    const obj = inf?.getByKey(key);
    if (!obj || !rt) return;
    const md = obj.metadata || {};
    if (md.deletionTimestamp) {
      const finalizers = md.finalizers || [];
      if (finalizers.includes(OrphanFinalizer)) await this.orphanDependents(rt, obj);
      else if (finalizers.includes(ForegroundFinalizer)) await this.deleteDependentsFirst(rt, obj);
    }
    if (md.ownerReferences?.length) await this.checkOwners(rt, obj);
  }

  /** Is this owner there, gone, or being deleted in the foreground? Confirmed with the API when unsure. */
  private async ownerState(namespace: string | undefined, ref: OwnerReference): Promise<OwnerState> {
    const loc = this.byUid.get(ref.uid);
    let owner: KubeObject | undefined = loc ? this.informers.get(loc.resource)?.getByKey(loc.key) : undefined;
    if (!owner) {
      const [group, version] = ref.apiVersion.includes('/') ? ref.apiVersion.split('/') : ['', ref.apiVersion];
      const rt = resourceForKind(group ? `${group}/${version}` : version, ref.kind) ?? [...this.kinds.values()].find((k) => k.group === group && k.kind === ref.kind);
      // An owner of a kind we don't know is never presumed gone.
      if (!rt) return 'present';
      try {
        owner = await this.ctx.client.get<KubeObject>(rt, rt.namespaced ? namespace : undefined, ref.name);
      } catch (err) {
        if (isNotFound(err)) return 'absent';
        throw err;
      }
      if (owner.metadata?.uid !== ref.uid) return 'absent'; // a new object under the old name
    }
    const md = owner.metadata || {};
    if (md.deletionTimestamp && (md.finalizers || []).includes(ForegroundFinalizer)) return 'deleting-foreground';
    return 'present';
  }

  private async checkOwners(rt: ResourceType, obj: KubeObject): Promise<void> {
    const md = obj.metadata || {};
    const refs = md.ownerReferences || [];
    const states = new Map<string, OwnerState>();
    for (const ref of refs) states.set(ref.uid, await this.ownerState(md.namespace, ref));
    const decision = decideDependent(refs, states);
    if (decision.delete) {
      if (md.deletionTimestamp && decision.delete === 'Background') return; // already on its way
      if (md.deletionTimestamp && (md.finalizers || []).includes(ForegroundFinalizer)) return;
      try {
        await this.ctx.client.delete(rt, md.namespace, md.name || '', { propagationPolicy: decision.delete, preconditions: md.uid ? { uid: md.uid } : undefined });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    } else if (decision.removeRefs) {
      await this.removeOwnerRefs(rt, obj, decision.removeRefs);
    }
  }

  private async removeOwnerRefs(rt: ResourceType, obj: KubeObject, uids: string[]): Promise<void> {
    const md = obj.metadata || {};
    const refs = (md.ownerReferences || []).filter((r) => !uids.includes(r.uid));
    try {
      await this.ctx.client.patch(rt, md.namespace, md.name || '', { metadata: { ownerReferences: refs.length ? refs : null } }, 'merge');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async orphanDependents(rt: ResourceType, owner: KubeObject): Promise<void> {
    const uid = owner.metadata?.uid || '';
    for (const d of this.dependentsOf(uid)) {
      const drt = this.resourceOf(d);
      if (drt) await this.removeOwnerRefs(drt, d, [uid]);
    }
    await this.removeFinalizer(rt, owner, OrphanFinalizer);
  }

  private async deleteDependentsFirst(rt: ResourceType, owner: KubeObject): Promise<void> {
    const uid = owner.metadata?.uid || '';
    const dependents = this.dependentsOf(uid);
    for (const d of dependents) {
      const md = d.metadata || {};
      if (md.deletionTimestamp) continue;
      const drt = this.resourceOf(d);
      if (!drt) continue;
      try {
        await this.ctx.client.delete(drt, md.namespace, md.name || '', { propagationPolicy: 'Foreground', preconditions: md.uid ? { uid: md.uid } : undefined });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    // Wait (the dependents' deletions re-queue us) until nothing blocks the owner any more.
    if (blockingDependents(uid, dependents).length === 0) await this.removeFinalizer(rt, owner, ForegroundFinalizer);
  }

  private resourceOf(o: KubeObject): ResourceType | undefined {
    const loc = o.metadata?.uid ? this.byUid.get(o.metadata.uid) : undefined;
    return loc ? this.kinds.get(loc.resource) : undefined;
  }

  /** PUT conditional on the cached resourceVersion: a concurrent change costs a retry, never a lost finalizer. */
  private async removeFinalizer(rt: ResourceType, obj: KubeObject, finalizer: string): Promise<void> {
    const md = obj.metadata || {};
    if (!(md.finalizers || []).includes(finalizer)) return;
    try {
      await this.ctx.client.update(rt, { ...obj, metadata: { ...md, finalizers: (md.finalizers || []).filter((f) => f !== finalizer) } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
