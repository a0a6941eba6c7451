// The registry: Kubernetes REST semantics for every resource on top of the storage interface (kube's
// generic store) — create (generateName, server-set metadata, defaults, validation), get, list
// (selectors, paging over one snapshot), update (optimistic concurrency, status/spec split, generation),
// delete (finalizers, graceful deletion, propagation finalizers), and the status and binding
// subresources. What differs by kind comes from the kind's strategy (apiserver/kinds/).
import { strictNotesOf, strictReport } from '../../lib/api/strict-decoding';
import { orderObject, shapeOfKind } from './field-order';
import { randomUUID } from 'node:crypto';
import type { StatusCause } from 'kubernetes-types/meta/v1';
import { FieldRequirement, LabelRequirement, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from '../../lib/api/selectors';
import { ResourceType, Resources, groupVersion } from '../../lib/api/resources';
import { applyDefaults } from '../defaults';
import { AdmissionChain, apiserverUser } from '../auth/admission';
import type { AdmissionAttributes, AdmissionOperation, UserInfo } from '../auth/types';
import { strategyFor } from '../kinds';
import { KindCatalog } from '../kinds/catalog';
import { pruneUnknownFields } from '../schema';
import { validate } from '../validation';
import { ApiStatusError, errors } from '../errors';
import { ConflictError, copyStored, KeyExistsError, KObj, NotFoundError, Storage, StorageEvent, StoredObject, storedObject, TooLargeRevisionError, TooOldRevisionError, WatchSubscription } from '../storage/types';
import { bucketOf, keyOf, namespacePrefix } from './keys';
import { clusterDnsIP, ensureClusterDnsService } from './cluster-dns-service';
import { checkMetadataTypes } from './meta';
import { clone, finalizersOf, isPlainObject, Json, randomSuffix } from './objects';
import { ServiceAllocations } from './services';
import { type ComponentTarget, defaultComponentTargets } from './component-status';
import { SystemPriorityClasses } from '../validation/legacy';
import { rfc3339 } from '../../lib/api/time';
import { deepEqual, goValueEqual } from '../../lib/api/json';
import { checkRequestedManagedFields, type ManagedFieldsEntry, sameManagedFields, trackUpdate } from '../fieldmanager/managed-fields';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';
/** What a write may change: the main resource (not status), only status, only a pod's ephemeral containers, only a CertificateSigningRequest's conditions (approval), or both main and status (server-internal writes). */
export type UpdateScope = 'status' | 'ephemeralcontainers' | 'approval' | 'all';

/** Per-request settings that change how a write is done. */
export interface WriteContext {
  /** A client's request, not the apiserver's own bookkeeping (admission webhooks see only these). */
  clientRequest?: boolean;
  dryRun?: boolean;
  fieldValidation?: FieldValidation;
  /** Warnings to send back in Warning headers. */
  warnings?: string[];
  /**
   * A server-made change to an already valid object (binding): skips pruning, defaulting and
   * validation, which dominate the cost of the scheduler's hot path.
   */
  trusted?: boolean;
  /** Who writes (admission plugins see it); server-internal writes leave it out and run as system:apiserver. */
  user?: UserInfo;
  /** Where admission plugins' audit annotations go (the request's audit event); default: dropped. */
  auditAnnotations?: Record<string, string>;
  /**
   * The field manager of a user write (the fieldManager parameter, else the user agent's product):
   * its changes are recorded in metadata.managedFields. None (server-internal writes): left as they are.
   */
  fieldManager?: string;
  /** The managedFields a server-side apply computed: written as they are. */
  appliedManagedFields?: ManagedFieldsEntry[];
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  /** How fresh the list must be (see ReadOptions); a continue token's own revision wins. */
  resourceVersion?: string;
}

/**
 * A client's read: without resourceVersion (or empty) it must be consistent — it reflects every write
 * acknowledged before it, through any apiserver; "0" takes what this apiserver has; "N" at least N.
 * On a store only this process writes, every read is all three at once.
 */
export interface ReadOptions {
  resourceVersion?: string;
}

export interface ListPage {
  items: StoredObject[];
  rev: number;
  continue?: string;
  remainingItemCount?: number;
}

export interface DeleteOptions {
  propagationPolicy?: string;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  orphanDependents?: boolean;
}

export interface DeleteResult {
  object: StoredObject;
  /** true: removed from storage; false: only marked (finalizers or graceful pod deletion). */
  removed: boolean;
}

const MAX_CONFLICT_RETRIES = 20;

export interface CompiledSelectors {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
  matches(obj: KObj): boolean;
  empty: boolean;
}

export function compileSelectors(rt: ResourceType, labelSelector?: string, fieldSelector?: string): CompiledSelectors {
  try {
    const labels = labelSelector ? parseLabelSelector(labelSelector) : [];
    const fields = fieldSelector ? parseFieldSelector(rt.resource, fieldSelector) : [];
    const empty = labels.length === 0 && fields.length === 0;
    return {
      labels,
      fields,
      empty,
      matches: (obj) =>
        empty ||
        ((labels.length === 0 || matchesLabels(labels, (obj.metadata.labels as Record<string, string> | undefined) ?? {})) &&
          (fields.length === 0 || matchesFields(fields, obj))),
    };
  } catch (err) {
    if (err instanceof SelectorError) throw errors.badRequest(err.message);
    throw err;
  }
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    if (typeof t.rv === 'number' && Number.isInteger(t.rv) && t.rv > 0 && typeof t.start === 'string') return { rv: t.rv, start: t.start };
  } catch {
    /* fall through */
  }
  throw errors.badRequest('continue key is not valid: the continue token could not be decoded');
}

/**
 * A custom resource stored at another version of its CRD, as the version asked for: CRDs convert with
 * the `None` strategy, which changes only apiVersion. Built-in objects are always at their version.
 */
export function atVersion(rt: ResourceType, s: StoredObject, gv = groupVersion(rt)): StoredObject {
  if (!rt.group || s.obj.apiVersion === undefined) return s;
  return s.obj.apiVersion === gv ? s : storedObject(s.rev, { ...s.obj, apiVersion: gv });
}

/**
 * The items of a list at the version asked for. Usually every item is stored at it already, and the
 * stored array is returned as it is. The storage's count of the bucket's apiVersions says so without
 * visiting the items: reading `apiVersion` of each of 10,000 objects (one cache miss each, scattered
 * over the heap) cost a custom resource LIST a third more server CPU than a ConfigMap's (issue 16).
 */
function allAtVersion(rt: ResourceType, items: StoredObject[], storedAt?: ReadonlyArray<string | undefined>): StoredObject[] {
  if (!rt.group) return items;
  const gv = groupVersion(rt);
  if (storedAt && storedAt.every((v) => v === undefined || v === gv)) return items;
  for (let i = 0; i < items.length; i++) {
    const v = items[i].obj.apiVersion;
    if (v !== undefined && v !== gv) return items.map((item) => atVersion(rt, item, gv));
  }
  return items;
}

/** Whether an update's result is the stored object itself, its resourceVersion aside. */
function unchangedBy(next: KObj, old: KObj): boolean {
  return deepEqual({ ...next, metadata: { ...next.metadata, resourceVersion: old.metadata.resourceVersion } }, old);
}

/**
 * What kube's strict decoding reports about a decoded body: its unknown fields (`prune` removes them in
 * place and returns their paths) and what the request parser noted (repeated fields, a patch's own
 * problems). Strict: one error (a patch's is a 422 showing the patched object); Warn (the default):
 * one Warning each, once however often a write is retried; Ignore: nothing.
 */
export function strictDecoding(body: object, ctx: WriteContext, prune: () => string[]): void {
  const notes = strictNotesOf(body);
  // A Strict patch's 422 shows the patched object as it was before decoding: unknown fields and all.
  const patchedValue = notes?.kind === 'patch' && ctx.fieldValidation === 'Strict' ? notes.value() : undefined;
  const unknown = prune();
  if (!unknown.length && !notes) return;
  const report = strictReport(unknown, notes);
  if (report.errors.length && ctx.fieldValidation === 'Strict') {
    const message = `strict decoding error: ${report.errors.join(', ')}`;
    throw notes?.kind === 'patch' ? errors.invalidPatch(patchedValue ?? notes.value(), message) : errors.badRequest(message);
  }
  if (ctx.fieldValidation !== 'Ignore') for (const w of report.warnings) if (!ctx.warnings?.includes(w)) ctx.warnings?.push(w);
}

/** The stored object with `section.key` taken from the requested one (removed where it has none): a subresource that writes that one field. */
function withFieldOf(current: StoredObject, requested: KObj, section: 'spec' | 'status', key: string): KObj {
  const next = copyStored(current);
  const into = isPlainObject(next[section]) ? next[section] : (next[section] = {});
  const from = requested[section];
  const wanted = isPlainObject(from) ? from[key] : undefined;
  if (wanted === undefined || wanted === null) delete into[key];
  else into[key] = wanted;
  return next;
}

export class Registry {
  readonly services: ServiceAllocations;
  /** The kinds this server serves: built-in ones and those its CRDs register (apiserver/crd/). */
  readonly kinds = new KindCatalog();

  constructor(
    readonly storage: Storage,
    opts: { serviceClusterIPRange: string; nodePortRange: string; admission?: AdmissionChain; clusterDNSIP?: string | false; componentTargets?: ComponentTarget[] },
  ) {
    this.componentTargets = opts.componentTargets ?? defaultComponentTargets;
    this.services = new ServiceAllocations(opts.serviceClusterIPRange, opts.nodePortRange, storage);
    this.clusterDNSIP = opts.clusterDNSIP === false ? undefined : (opts.clusterDNSIP ?? clusterDnsIP(opts.serviceClusterIPRange));
    this.admission = opts.admission ?? new AdmissionChain();
  }

  /** What ComponentStatus probes (the scheduler's and the controller manager's health URLs). */
  readonly componentTargets: ComponentTarget[];

  /** The admission plugins every user write goes through (after defaulting; validating ones after validation). */
  readonly admission: AdmissionChain;

  /** kube-system/kube-dns' ClusterIP (the 10th address of the range), created by init(); none: not created. */
  readonly clusterDNSIP?: string;

  private admissionAttributes(operation: AdmissionOperation, rt: ResourceType, subresource: string | undefined, object: KObj | undefined, oldObject: KObj | undefined, ctx: WriteContext): AdmissionAttributes {
    const md = (object ?? oldObject)?.metadata;
    return {
      operation,
      rt,
      subresource: subresource === 'all' ? '' : (subresource ?? ''),
      namespace: typeof md?.namespace === 'string' ? md.namespace : '',
      name: typeof md?.name === 'string' ? md.name : '',
      user: ctx.user ?? apiserverUser,
      object,
      oldObject,
      dryRun: !!ctx.dryRun,
      internal: !ctx.clientRequest,
      fieldManager: ctx.fieldManager,
      warnings: ctx.warnings ?? [],
      auditAnnotations: ctx.auditAnnotations ?? {},
    };
  }

  /** Rebuilds allocator state and creates the namespaces every cluster has. */
  async init(): Promise<void> {
    const svcs = await this.storage.list(bucketOf(Resources.services));
    for (const s of svcs.items) this.services.claimExisting(s.obj);
    await this.services.startClaims(async () => (await this.storage.list(bucketOf(Resources.services))).items);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      if (!(await this.storage.get(bucketOf(Resources.namespaces), ns))) {
        try {
          await this.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
        } catch (err) {
          if (!(err instanceof ApiStatusError && err.code === 409)) throw err;
        }
      }
    }
    if (this.clusterDNSIP) await ensureClusterDnsService(this, this.clusterDNSIP);
    await this.ensureSystemPriorityClasses();
  }

  /** The built-in PriorityClasses every cluster has (kube's scheduling post-start hook); kept if present. */
  private async ensureSystemPriorityClasses(): Promise<void> {
    const pc = Resources.priorityclasses;
    for (const cls of SystemPriorityClasses) {
      if (await this.storage.get(bucketOf(pc), keyOf(pc, undefined, String(cls.metadata?.name)))) continue;
      try {
        await this.create(pc, undefined, JSON.parse(JSON.stringify(cls)));
      } catch (err) {
        if (!(err instanceof ApiStatusError && err.code === 409)) throw err;
      }
    }
  }

  /** A kind computed on every read and never stored (ComponentStatus): its objects now. */
  private async computed(rt: ResourceType): Promise<StoredObject[] | undefined> {
    const read = strategyFor(rt).read;
    if (!read) return undefined;
    const rev = this.storage.currentRevision();
    return (await read(this)).map((o) => storedObject(rev, o));
  }

  /** Stops the registry's background work (the allocation repair); the storage stays open. */
  close(): void {
    this.services.stop();
  }

  /**
   * An object. A client's GET passes read (consistent unless resourceVersion says otherwise); the
   * registry's own reads before a write take what this apiserver has — a stale copy fails the write's
   * compare-and-swap and is read again — but a miss is checked against the latest state first, since on
   * a shared store another apiserver may have just created it.
   */
  async get(rt: ResourceType, namespace: string | undefined, name: string, read?: ReadOptions): Promise<StoredObject> {
    const computed = await this.computed(rt);
    if (computed) {
      const found = computed.find((s) => s.obj.metadata.name === name);
      if (!found) throw errors.notFound(rt, name);
      return found;
    }
    if (read) await this.freshen(read.resourceVersion);
    // A client's read is as fresh as it asked for already: a miss is an answer. (A shared store's replica
    // that cannot reach this apiserver's own write of the key in time is a 504 to retry, as for freshen.)
    // A client reads only stored writes (see Storage.committedRevision); the registry's own reads before
    // a write take the newest state, which the write's compare-and-swap is decided against.
    const bucket = bucketOf(rt);
    const key = keyOf(rt, namespace, name);
    const s = await (read ? this.storage.getCommitted(bucket, key) : this.getLatestOnMiss(bucket, key)).catch((err: unknown) => {
      throw this.storageError(err);
    });
    if (!s) throw errors.notFound(rt, name);
    return atVersion(rt, s);
  }

  /** A stored object from this apiserver's copy, read again after catching up when it is not there. */
  private async getLatestOnMiss(bucket: string, key: string, anyAge = false): Promise<StoredObject | undefined> {
    const s = await this.storage.get(bucket, key);
    if (s || anyAge) return s;
    const rev = this.storage.currentRevision();
    if ((await this.storage.waitForLatest()) === rev) return undefined;
    return this.storage.get(bucket, key);
  }

  /** Waits until reads here are as fresh as a client's resourceVersion asks (see ReadOptions). */
  private async freshen(resourceVersion: string | undefined): Promise<void> {
    if (resourceVersion === '0') return;
    const atLeast = resourceVersion ? Number(resourceVersion) : undefined;
    if (atLeast !== undefined && (!Number.isSafeInteger(atLeast) || atLeast <= this.storage.currentRevision())) return;
    try {
      await this.storage.waitForLatest();
    } catch (err) {
      throw this.storageError(err);
    }
  }

  /** A storage failure a client should see with Kubernetes' code (504 Too large resource version). */
  private storageError(err: unknown): unknown {
    if (err instanceof TooLargeRevisionError) {
      return new ApiStatusError(504, 'Timeout', `Too large resource version: ${err.requested}, current: ${err.current}`, { retryAfterSeconds: 1 });
    }
    return err;
  }

  async list(rt: ResourceType, namespace: string | undefined, q: ListQuery): Promise<ListPage> {
    const sel = compileSelectors(rt, q.labelSelector, q.fieldSelector);
    const computed = await this.computed(rt);
    if (computed) return { items: computed.filter((s) => sel.empty || sel.matches(s.obj)), rev: this.storage.currentRevision() };
    const limit = q.limit && q.limit > 0 ? q.limit : undefined;
    let rev: number | undefined;
    let startAfter: string | undefined;
    if (q.continue) {
      const t = decodeContinue(q.continue);
      rev = t.rv;
      startAfter = t.start;
    } else await this.freshen(q.resourceVersion);
    try {
      const r = await this.storage.list(bucketOf(rt), {
        prefix: namespacePrefix(rt, namespace),
        rev,
        // Only stored writes, at their revision: an informer resuming its watch from the list's
        // resourceVersion after a crash must never hold one the restarted store hands out again.
        committed: true,
        startAfter,
        limit,
        filter: sel.empty ? undefined : sel.matches,
      });
      return {
        items: allAtVersion(rt, r.items, r.apiVersions),
        rev: r.rev,
        continue: r.continueAfter !== undefined ? encodeContinue(r.rev, r.continueAfter) : undefined,
        remainingItemCount: r.remaining,
      };
    } catch (err) {
      if (err instanceof TooOldRevisionError) {
        throw errors.gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      throw this.storageError(err);
    }
  }

  /**
   * Subscribes to changes after fromRev; throws a 410 ApiStatusError when it is compacted away. onGone:
   * the storage cannot continue this watch (its replica reloaded); the client must watch again.
   */
  watch(rt: ResourceType, namespace: string | undefined, fromRev: number, onEvent: (ev: StorageEvent) => void, onGone?: () => void): WatchSubscription {
    try {
      const gv = groupVersion(rt);
      // Events of objects stored at another version of a CRD are sent as this version (their own encodings).
      const deliver = !rt.group
        ? onEvent
        : (ev: StorageEvent) =>
            ev.object.obj.apiVersion === gv ? onEvent(ev) : onEvent({ ...ev, object: atVersion(rt, ev.object), prev: ev.prev && atVersion(rt, ev.prev), encoded: undefined });
      return this.storage.watch(bucketOf(rt), fromRev, deliver, namespacePrefix(rt, namespace), onGone);
    } catch (err) {
      if (err instanceof TooOldRevisionError) throw errors.gone(err.message);
      throw err;
    }
  }

  // ---- create -------------------------------------------------------------------------------------

  async create(rt: ResourceType, namespace: string | undefined, body: unknown, ctx: WriteContext = {}): Promise<StoredObject> {
    const obj = this.decode(rt, body, ctx);
    const md = obj.metadata;
    if (rt.namespaced) {
      if (md.namespace && namespace && md.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      const ns = namespace ?? md.namespace;
      if (!ns) throw errors.badRequest('the namespace of the object is required');
      md.namespace = ns;
      await this.checkNamespaceOpen(ns);
    } else {
      delete md.namespace;
    }
    const strategy = strategyFor(rt);
    if (strategy.create) {
      applyDefaults(rt, obj as Json, this.services.noAllocation);
      const causes = validate(rt, obj);
      if (causes.length) throw errors.invalid(rt, String(md.name ?? ''), causes as StatusCause[]);
      return storedObject(this.storage.currentRevision(), this.inKubeOrder(rt, await strategy.create(this, obj, ctx)));
    }
    // Server-owned metadata.
    for (const f of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink', 'managedFields']) delete md[f];
    md.uid = randomUUID();
    md.creationTimestamp = rfc3339();
    if (strategy.generationTracked) md.generation = 1;
    else delete md.generation;
    strategy.prepareForCreate?.(obj, ctx);

    const generate = !md.name && typeof md.generateName === 'string' && md.generateName !== '';
    for (let attempt = 0; ; attempt++) {
      if (generate) md.name = `${md.generateName as string}${randomSuffix()}`;
      const alloc = strategy.beginWrite?.(this, undefined);
      try {
        applyDefaults(rt, obj as Json, alloc ?? this.services.noAllocation);
        const admission = this.admission.empty ? undefined : this.admissionAttributes('CREATE', rt, undefined, obj, undefined, ctx);
        if (admission) await this.admission.admit(admission);
        if (alloc) alloc.finish(obj);
        const causes = [...validate(rt, obj), ...(alloc ? alloc.causes : [])];
        if (!md.name && !causes.some((c) => c.field === 'metadata.name')) {
          causes.unshift({ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' });
        }
        if (causes.length) throw errors.invalid(rt, String(md.name ?? md.generateName ?? ''), causes as StatusCause[]);
        if (admission) await this.admission.validate(admission);
        if (ctx.appliedManagedFields) md.managedFields = ctx.appliedManagedFields;
        else if (ctx.fieldManager && !ctx.trusted) md.managedFields = trackUpdate(rt, undefined, obj, ctx.fieldManager);
        if (ctx.dryRun) {
          // Nothing is written, but the answer is the real create's: a name in use is a conflict.
          if (await this.storage.get(bucketOf(rt), keyOf(rt, md.namespace, md.name as string))) throw new KeyExistsError(String(md.name));
          alloc?.rollback();
          return storedObject(this.storage.currentRevision(), this.inKubeOrder(rt, obj));
        }
        const taken = alloc ? await alloc.reserve(obj) : [];
        if (taken.length) throw errors.invalid(rt, String(md.name), taken as StatusCause[]);
        const stored = await this.storage.create(bucketOf(rt), keyOf(rt, md.namespace, md.name as string), this.inKubeOrder(rt, obj));
        alloc?.commit();
        await strategy.afterCreate?.(this, stored);
        return stored;
      } catch (err) {
        alloc?.rollback();
        if (err instanceof KeyExistsError) {
          if (generate && attempt < 5) continue;
          throw errors.alreadyExists(rt, md.name as string);
        }
        throw err;
      }
    }
  }

  private async checkNamespaceOpen(ns: string): Promise<void> {
    const nsObj = await this.getLatestOnMiss(bucketOf(Resources.namespaces), ns);
    if (!nsObj) throw errors.notFound(Resources.namespaces, ns);
    if (nsObj.obj.metadata.deletionTimestamp) {
      throw new ApiStatusError(403, 'Forbidden', `unable to create new content in namespace ${ns} because it is being terminated`, {
        name: ns,
        kind: 'namespaces',
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }

  /**
   * Puts an object in the field order kube's JSON encoder writes, at every depth (field-order.ts), in
   * place, just before it is stored or answered: stored bytes, reads and watches are then kube's.
   */
  inKubeOrder<T extends KObj>(rt: ResourceType, obj: T): T {
    orderObject(obj, shapeOfKind(rt, obj.kind === rt.kind || typeof obj.kind !== 'string' ? rt.kind : obj.kind, strategyFor(rt).unstructured));
    return obj;
  }

  /** Checks the body's shape and kind, prunes unknown fields; returns a fresh object the caller owns. */
  private decode(rt: ResourceType, body: unknown, ctx: WriteContext, kind = rt.kind, apiVersion = groupVersion(rt)): KObj {
    if (!isPlainObject(body)) throw errors.badRequest(`Object '${kind}' is missing or is not a JSON/YAML object`);
    if (body.kind !== undefined && body.kind !== kind) {
      throw errors.badRequest(`${typeof body.kind === 'string' ? body.kind : 'the kind'} in the request body does not match ${kind} (the resource in the URL)`);
    }
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersion) {
      throw errors.badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersion})`);
    }
    const metaCauses = checkMetadataTypes(body);
    if (metaCauses.length) throw errors.invalid(rt, typeof (body.metadata as Json | undefined)?.name === 'string' ? ((body.metadata as Json).name as string) : '', metaCauses);
    if (body.metadata === undefined || body.metadata === null) body.metadata = {};
    const obj = body as KObj;
    obj.apiVersion = apiVersion;
    obj.kind = kind;
    const strategy = strategyFor(rt);
    strictDecoding(body, ctx, () => (kind !== rt.kind ? [] : strategy.prune ? strategy.prune(obj) : pruneUnknownFields(rt, obj)));
    return obj;
  }

  // ---- update -------------------------------------------------------------------------------------

  /**
   * PUT of an object or its status. metadata.resourceVersion, when given, must be current (409).
   * Returns created=true when a PUT made a new object (resources that allow it).
   */
  async update(rt: ResourceType, namespace: string | undefined, name: string, body: unknown, ctx: WriteContext = {}, subresource?: 'status' | 'ephemeralcontainers' | 'approval'): Promise<{ stored: StoredObject; created: boolean }> {
    const obj = this.decode(rt, body, ctx);
    const md = obj.metadata;
    if (md.name !== undefined && md.name !== name) throw errors.badRequest(`the name of the object (${String(md.name)}) does not match the name on the URL (${name})`);
    if (rt.namespaced && md.namespace && md.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    md.name = name;
    const rv = this.parseRV(md.resourceVersion);
    let current = await this.getLatestOnMiss(bucketOf(rt), keyOf(rt, namespace, name));
    // A resourceVersion newer than this apiserver's copy: another apiserver wrote it; catch up first.
    if (current && rv !== undefined && rv > current.rev) {
      await this.freshen(undefined);
      current = await this.storage.get(bucketOf(rt), keyOf(rt, namespace, name));
    }
    if (!current) {
      if (strategyFor(rt).allowCreateOnUpdate && !subresource) {
        delete md.resourceVersion;
        return { stored: await this.create(rt, namespace, obj, ctx), created: true };
      }
      throw errors.notFound(rt, name);
    }
    const stored = await this.writeUpdate(rt, current, obj, rv, ctx, subresource);
    return { stored, created: false };
  }

  private parseRV(rv: unknown): number | undefined {
    if (rv === undefined || rv === null || rv === '') return undefined;
    const n = Number(rv);
    if (typeof rv !== 'string' || !/^\d+$/.test(rv) || !Number.isSafeInteger(n)) {
      throw errors.badRequest(`invalid resourceVersion ${JSON.stringify(rv)}: must be an unsigned integer string`);
    }
    return n;
  }

  /**
   * Turns a requested new state into the stored one and writes it with compare-and-swap on the
   * current revision. expectedRev (the client's precondition) gives a 409 when stale.
   */
  private async writeUpdate(rt: ResourceType, current: StoredObject, requested: KObj, expectedRev: number | undefined, ctx: WriteContext, subresource?: UpdateScope): Promise<StoredObject> {
    if (expectedRev !== undefined && expectedRev !== current.rev) throw errors.modified(rt, String(current.obj.metadata.name));
    const old = current.obj;
    let next: KObj;
    if (subresource === 'status') {
      // Writes to /status change only status.
      next = copyStored(current);
      next.status = requested.status;
      if (next.status === undefined) delete next.status;
    } else if (subresource === 'approval') {
      // Writes to a CertificateSigningRequest's /approval change only its conditions (kube's
      // csrApprovalStrategy): kubectl certificate approve and deny.
      next = withFieldOf(current, requested, 'status', 'conditions');
    } else if (subresource === 'ephemeralcontainers') {
      // Writes to a pod's /ephemeralcontainers change only spec.ephemeralContainers (kube's
      // ephemeralContainersStrategy): everything else stays as stored.
      next = withFieldOf(current, requested, 'spec', 'ephemeralContainers');
    } else {
      next = requested;
      if (subresource !== 'all' && rt.subresources.includes('status')) {
        if (old.status === undefined) delete next.status;
        else next.status = clone(JSON.stringify(old.status));
      }
    }
    const md = next.metadata;
    const omd = old.metadata;
    // Metadata the server owns is kept from the stored object (server-internal writes may set it).
    if (subresource !== 'all') {
      for (const f of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'namespace', 'generation']) {
        if (omd[f] === undefined) delete md[f];
        else md[f] = omd[f];
      }
    }
    delete md.selfLink;
    // managedFields a client changed are taken as given (kubectl's client-side to server-side apply
    // migration rewrites them; [] clears them); otherwise this write's changes are tracked below.
    let managedFieldsGiven = false;
    if (ctx.appliedManagedFields) md.managedFields = ctx.appliedManagedFields;
    else if (md.managedFields !== undefined && !sameManagedFields(md.managedFields, omd.managedFields)) {
      const bad = checkRequestedManagedFields(md.managedFields);
      if (bad) throw errors.invalid(rt, String(md.name), [{ reason: 'FieldValueInvalid', field: 'metadata.managedFields', message: bad }]);
      managedFieldsGiven = true;
      if ((md.managedFields as unknown[]).length === 0) delete md.managedFields;
    } else if (omd.managedFields === undefined) delete md.managedFields;
    else md.managedFields = omd.managedFields;
    if (md.generateName === undefined && omd.generateName !== undefined) md.generateName = omd.generateName;
    const strategy = strategyFor(rt);
    if (strategy.prepareForUpdate && subresource !== 'all' && !ctx.trusted) strategy.prepareForUpdate(next, old, subresource);

    // Only user writes to the main resource change its allocations (a Service's ClusterIP, NodePorts).
    const alloc = strategy.beginWrite && subresource === undefined && !ctx.trusted ? strategy.beginWrite(this, old) : undefined;
    try {
      const admission = ctx.trusted || this.admission.empty ? undefined : this.admissionAttributes('UPDATE', rt, subresource, next, old, ctx);
      if (subresource !== 'status' && subresource !== 'approval' && !ctx.trusted) {
        if (alloc) alloc.keepAllocations(next);
        applyDefaults(rt, next as Json, alloc ?? this.services.noAllocation);
        if (admission) await this.admission.admit(admission);
        alloc?.finish(next);
      } else if (admission) await this.admission.admit(admission);
      // PrepareForUpdate's generation, on the defaulted and admitted spec (as kube decodes a body with its
      // defaults first): a patch that replaces a list with itself less its defaulted fields changes nothing.
      // As Go compares the specs: the stored one carries the fields Go always writes (`"resources":{}`), a PUT may leave them out.
      if (strategy.generationTracked && (strategy.generationFields ?? ['spec']).some((f) => !goValueEqual(old[f], next[f]))) md.generation = ((omd.generation as number) || 0) + 1;
      const causes = ctx.trusted ? [] : [...validate(rt, next, old, subresource === 'all' ? undefined : subresource), ...(alloc ? alloc.causes : [])];
      if (causes.length) throw errors.invalid(rt, String(md.name), causes as StatusCause[]);
      if (admission) await this.admission.validate(admission);
      if (!ctx.appliedManagedFields && !managedFieldsGiven && ctx.fieldManager && !ctx.trusted) {
        const mf = trackUpdate(rt, old, next, ctx.fieldManager, subresource === 'all' ? undefined : subresource);
        if (mf.length) md.managedFields = mf;
        else delete md.managedFields;
      }
      this.inKubeOrder(rt, next);
      if (ctx.dryRun) {
        alloc?.rollback();
        return storedObject(current.rev, next);
      }
      if (!this.storage.rewritesUnchanged(bucketOf(rt)) && unchangedBy(next, old)) {
        // kube's GuaranteedUpdate writes nothing when the new object encodes as the stored one: no new
        // resourceVersion, no watch event (a repeated label, a client-side apply of an atomic list).
        alloc?.commit();
        return atVersion(rt, current);
      }
      const taken = alloc ? await alloc.reserve(next) : [];
      if (taken.length) throw errors.invalid(rt, String(md.name), taken as StatusCause[]);
      let stored: StoredObject;
      // An object being deleted whose last finalizer is removed goes away (grace already elapsed).
      if (md.deletionTimestamp && finalizersOf(next).length === 0 && !md.deletionGracePeriodSeconds && !strategy.deletedByController) {
        stored = await this.storage.delete(bucketOf(rt), keyOf(rt, md.namespace, String(md.name)), current.rev);
        strategy.afterDelete?.(this, stored);
      } else {
        stored = await this.storage.update(bucketOf(rt), keyOf(rt, md.namespace, String(md.name)), next, current.rev);
      }
      alloc?.commit();
      return atVersion(rt, stored);
    } catch (err) {
      alloc?.rollback();
      if (err instanceof ConflictError) throw errors.modified(rt, String(md.name));
      if (err instanceof NotFoundError) throw errors.notFound(rt, String(md.name));
      throw err;
    }
  }

  /**
   * Read-modify-write with retries on concurrent changes: mutate gets a private copy of the current
   * object and returns the requested new state. A precondition (resourceVersion the client sent) is not
   * retried.
   */
  async guaranteedUpdate(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    mutate: (copy: KObj, current: StoredObject) => KObj,
    ctx: WriteContext = {},
    subresource?: UpdateScope,
    precondition?: (requested: KObj, current: StoredObject) => number | undefined,
  ): Promise<StoredObject> {
    let caughtUp = false;
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(rt, namespace, name);
      const requested = mutate(copyStored(current), current);
      const md = isPlainObject(requested.metadata) ? requested.metadata : undefined;
      if (md && md.name !== name) throw errors.badRequest(`the name of the object (${String(md.name)}) does not match the name on the URL (${name})`);
      if (md && rt.namespaced && md.namespace !== namespace) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      const pre = precondition?.(requested, current);
      if (pre !== undefined && pre > current.rev && !caughtUp) {
        // The precondition is newer than this apiserver's copy: read again once caught up.
        caughtUp = true;
        await this.freshen(undefined);
        continue;
      }
      try {
        const decoded = ctx.trusted ? requested : this.decode(rt, requested, ctx);
        return await this.writeUpdate(rt, current, decoded, pre, ctx, subresource);
      } catch (err) {
        const conflict = err instanceof ApiStatusError && err.code === 409 && err.reason === 'Conflict';
        if (conflict && pre === undefined && attempt < MAX_CONFLICT_RETRIES) continue;
        throw err;
      }
    }
  }

  // ---- delete -------------------------------------------------------------------------------------

  async delete(rt: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions = {}, ctx: WriteContext = {}): Promise<DeleteResult> {
    if (opts.gracePeriodSeconds !== undefined && (!Number.isInteger(opts.gracePeriodSeconds) || opts.gracePeriodSeconds < 0)) {
      // Kubernetes treats negative grace as "use the default"; reject garbage.
      if (!Number.isInteger(opts.gracePeriodSeconds)) throw errors.badRequest('gracePeriodSeconds must be an integer');
      opts.gracePeriodSeconds = undefined;
    }
    const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : opts.orphanDependents === false ? 'Background' : undefined);
    if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw errors.invalid(rt, name, [{ reason: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"` }]);
    }
    const strategy = strategyFor(rt);
    if (strategy.delete) return strategy.delete(this, namespace, name, opts, ctx);
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(rt, namespace, name);
      const omd = current.obj.metadata;
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== omd.uid) {
        throw errors.conflict(rt, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(omd.uid)}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== omd.resourceVersion && Number(pre.resourceVersion) > current.rev && attempt === 0) {
        // Newer than this apiserver's copy: read again once caught up.
        await this.freshen(undefined);
        continue;
      }
      if (pre?.resourceVersion && pre.resourceVersion !== omd.resourceVersion) {
        throw errors.conflict(rt, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${String(omd.resourceVersion)}`);
      }
      if (!this.admission.empty && attempt === 0) await this.admission.validate(this.admissionAttributes('DELETE', rt, undefined, undefined, current.obj, ctx));
      const obj = copyStored(current);
      const md = obj.metadata;
      let finalizers = finalizersOf(obj);
      if (policy === 'Orphan') finalizers = [...finalizers.filter((f) => f !== 'foregroundDeletion' && f !== 'orphan'), 'orphan'];
      else if (policy === 'Foreground') finalizers = [...finalizers.filter((f) => f !== 'foregroundDeletion' && f !== 'orphan'), 'foregroundDeletion'];
      let grace = strategy.deleteGracePeriod?.(obj, opts.gracePeriodSeconds) ?? 0;
      const prevGrace = md.deletionGracePeriodSeconds as number | undefined;
      if (md.deletionTimestamp && prevGrace !== undefined && prevGrace < grace) grace = prevGrace;
      try {
        if (ctx.dryRun) return { object: current, removed: finalizers.length === 0 && grace === 0 };
        if (finalizers.length === 0 && grace === 0) {
          const removed = await this.storage.delete(bucketOf(rt), keyOf(rt, namespace, name), current.rev);
          strategy.afterDelete?.(this, removed);
          return { object: atVersion(rt, removed), removed: true };
        }
        // Mark only: finalizers or a running pod's node agent finish the deletion.
        const changed = !md.deletionTimestamp || prevGrace !== grace || !deepEqual(finalizers, finalizersOf(obj));
        if (!changed) return { object: current, removed: false };
        if (!md.deletionTimestamp || prevGrace !== grace) md.deletionTimestamp = rfc3339(Date.now() + grace * 1000);
        md.deletionGracePeriodSeconds = grace;
        if (finalizers.length) md.finalizers = finalizers;
        if (strategy.generationTracked && !omd.deletionTimestamp) md.generation = ((md.generation as number) || 0) + 1;
        const stored = await this.storage.update(bucketOf(rt), keyOf(rt, namespace, name), this.inKubeOrder(rt, obj), current.rev);
        return { object: atVersion(rt, stored), removed: false };
      } catch (err) {
        if ((err instanceof ConflictError || err instanceof NotFoundError) && attempt < MAX_CONFLICT_RETRIES) continue;
        throw err;
      }
    }
  }

  async deleteCollection(rt: ResourceType, namespace: string | undefined, q: ListQuery, opts: DeleteOptions, ctx: WriteContext = {}): Promise<StoredObject[]> {
    const page = await this.list(rt, namespace, { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector });
    const out: StoredObject[] = [];
    for (const item of page.items) {
      try {
        out.push((await this.delete(rt, item.obj.metadata.namespace, String(item.obj.metadata.name), { ...opts, preconditions: undefined }, ctx)).object);
      } catch (err) {
        if (!(err instanceof ApiStatusError && err.code === 404)) throw err;
      }
    }
    return out;
  }

  // ---- binding ------------------------------------------------------------------------------------

  async bind(namespace: string, name: string, binding: unknown, ctx: WriteContext = {}): Promise<StoredObject> {
    const rt = Resources.pods;
    if (!isPlainObject(binding)) throw errors.badRequest("Object 'Binding' is missing or is not a JSON object");
    const target = binding.target;
    const md = isPlainObject(binding.metadata) ? binding.metadata : {};
    if (md.name !== undefined && md.name !== name) throw errors.badRequest(`the name of the binding (${String(md.name)}) does not match the pod name on the URL (${name})`);
    if (!isPlainObject(target) || typeof target.name !== 'string' || target.name === '') {
      throw new ApiStatusError(422, 'Invalid', `Binding.core "${name}" is invalid: target.name: Required value`, {
        name,
        kind: 'Binding',
        causes: [{ reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' }],
      });
    }
    if (target.kind !== undefined && target.kind !== '' && target.kind !== 'Node') {
      throw new ApiStatusError(422, 'Invalid', `Binding.core "${name}" is invalid: target.kind: Invalid value: ${JSON.stringify(target.kind)}: must be empty or 'Node'`, {
        name,
        kind: 'Binding',
        causes: [{ reason: 'FieldValueInvalid', field: 'target.kind', message: 'must be empty or Node' }],
      });
    }
    const nodeName = target.name;
    return this.guaranteedUpdate(rt, namespace, name, (pod) => {
      const spec = (isPlainObject(pod.spec) ? pod.spec : (pod.spec = {})) as Json;
      if (pod.metadata.deletionTimestamp) throw errors.conflict(rt, name, `pod ${name} is being deleted, cannot be assigned to a host`);
      if (spec.nodeName) throw errors.conflict(rt, name, `pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
      spec.nodeName = nodeName;
      const status = (isPlainObject(pod.status) ? pod.status : (pod.status = {})) as Json;
      const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter((c) => !(isPlainObject(c) && c.type === 'PodScheduled'));
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339() });
      status.conditions = conditions;
      return pod;
    }, { ...ctx, trusted: true }, 'all');
  }
}
