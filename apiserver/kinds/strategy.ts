// What the apiserver does differently for one kind, as one value: the shape of an entry of the per-kind
// strategy table (kinds/index.ts), modelled on kube-apiserver's pkg/registry/<group>/<resource>/
// strategy.go and the hooks of its generic store. The registry, defaulting, validation and the table
// printers look a kind up in the table instead of switching on it, so a new kind is one entry.
import type { StatusCause } from 'kubernetes-types/meta/v1';
import type { ResourceType } from '../../lib/api/resources';
import type { Allocator } from '../defaults/common';
import type { DeleteOptions, DeleteResult, Registry, WriteContext } from '../registry/registry';
import type { KObj, StoredObject } from '../storage/types';
import { defaultPrinter, type Printer } from '../tables/common';
import type { FieldCause, NameRule } from '../validation/common';

type Json = Record<string, unknown>;

/**
 * A write's hold on cluster-wide values (the generic store's BeginCreate/BeginUpdate; Services'
 * ClusterIPs and NodePorts). It hands values out while defaulting, is committed once the write is
 * stored and rolled back when it fails or is a dry run.
 */
export interface WriteAllocation extends Allocator {
  /** On an update: keeps what the old object holds where the new one leaves it out. */
  keepAllocations(next: KObj): void;
  /** After defaulting: hands out what is still missing and claims what the object names itself. */
  finish(obj: KObj): void;
  /** Values the object names that it cannot have (taken, out of range), as validation causes. */
  causes: StatusCause[];
  /**
   * Right before the object is stored: claims its new values in the store, where another apiserver
   * may have taken one meanwhile (a value handed out here is then replaced in obj; one the object names
   * itself is a cause, returned). Nothing to do without a shared store.
   */
  reserve(obj: KObj): Promise<StatusCause[]>;
  commit(): void;
  rollback(): void;
}

export interface KindStrategy {
  /** Names, group, version, scope (namespaced) and subresources: lib/api/resources.ts, shared with clients. */
  readonly resource: ResourceType;
  /** metadata.generation counts changes of spec (and the start of a deletion). */
  readonly generationTracked: boolean;
  /**
   * The top-level fields whose changes generationTracked counts; default ['spec']. Kinds without a spec
   * name theirs (webhook configurations: ['webhooks'], as their PrepareForUpdate compares).
   */
  readonly generationFields?: readonly string[];
  /** A PUT of a missing object creates it (AllowCreateOnUpdate). */
  readonly allowCreateOnUpdate: boolean;
  /** A DELETE answers with the object, even once it is gone, rather than a Status (ReturnDeletedObject). */
  readonly returnDeletedObject: boolean;
  /**
   * An object being deleted stays when an update removes its last finalizer: a controller removes it
   * (namespaces: the NamespaceCleaner, once they are empty).
   */
  readonly deletedByController: boolean;
  /** The syntax of metadata.name (Kubernetes' ValidateXName). */
  readonly nameRule: NameRule;
  /** The columns and cells of `kubectl get`. */
  readonly printer: Printer;
  /** Kubernetes' defaults, in place (SetDefaults_X); `alloc` hands out cluster-wide values. */
  defaults?(obj: Json, alloc: Allocator): void;
  /**
   * The kind's own rules, after the JSON types and metadata are checked: on create (old undefined) and
   * on updates of the object or a subresource (`status`, a pod's `ephemeralcontainers`; undefined: the
   * object itself).
   */
  validate?(obj: Json, old: Json | undefined, subresource?: string): FieldCause[];
  /** PrepareForCreate: what the server sets before defaulting (the status a new object starts with; who asked, from ctx.user). */
  prepareForCreate?(obj: KObj, ctx?: WriteContext): void;
  /**
   * PrepareForUpdate: what an update of the object or a subresource keeps from the stored one beyond
   * the registry's rules (status kept from the object, spec from /status), before defaulting.
   */
  prepareForUpdate?(next: KObj, old: KObj, subresource?: string): void;
  /** BeginCreate/BeginUpdate: takes hold of cluster-wide values for a user's write of the object. */
  beginWrite?(registry: Registry, old: KObj | undefined): WriteAllocation;
  /** AfterCreate: runs once the new object is stored (not on a dry run). */
  afterCreate?(registry: Registry, stored: StoredObject): Promise<void>;
  /** AfterDelete: runs once the object has left storage. */
  afterDelete?(registry: Registry, removed: StoredObject): void;
  /** CheckGracefulDelete: the seconds a DELETE waits before the object goes; without it, at once. */
  deleteGracePeriod?(obj: KObj, requested: number | undefined): number;
  /**
   * A CREATE answered by the kind itself and never stored (SubjectAccessReview, TokenReview,
   * SelfSubjectReview): gets the decoded request (defaulted and validated) and returns the answer.
   */
  create?(registry: Registry, obj: KObj, ctx: WriteContext): Promise<KObj>;
  /**
   * Removes the fields the kind's schema does not have, in place, and returns their paths; without it
   * the client-node model of the kind decides (apiserver/schema.ts). Custom resources prune by their
   * CRD's structural schema.
   */
  prune?(obj: KObj): string[];
  /** The schema the OpenAPI documents publish for a kind without a client-node model (a CRD version's). */
  readonly openAPISchema?: Record<string, unknown>;
  /** false: strategic merge patches are refused with 415, as for custom resources (they have no patch strategies). */
  readonly strategicMerge?: boolean;
  /**
   * true: kube serves the kind's objects unstructured (custom resources), so its JSON encoder writes
   * every object's keys sorted, metadata's included; otherwise the Go types' field order.
   */
  readonly unstructured?: boolean;
  /** Where the scale subresource reads and writes (custom resources: the CRD's paths); default spec.replicas, status.replicas, spec.selector. */
  readonly scale?: ScalePaths;
  /**
   * false: the storage keeps none of the kind's objects in memory and reads them from disk on every GET
   * and LIST (watches are served from the change history as for every kind), as kube-apiserver keeps no
   * watch cache for Events (its default cache size for them is 0): their number grows with churn, not
   * with the cluster. Default true.
   */
  readonly cacheObjects?: boolean;
  /** A kind computed on every GET and LIST and never stored (ComponentStatus): its objects now. */
  read?(registry: Registry): Promise<KObj[]>;
  /** A DELETE of the kind's own, instead of the registry's (namespaces: mark Terminating). */
  delete?(registry: Registry, namespace: string | undefined, name: string, opts: DeleteOptions, ctx: WriteContext): Promise<DeleteResult>;
}

/** The scale subresource's fields, as path segments (a CRD's `.spec.replicas` is ['spec', 'replicas']). */
export interface ScalePaths {
  specReplicas: string[];
  statusReplicas: string[];
  /** A string-valued label selector (a CRD's labelSelectorPath); absent: no selector in the Scale. */
  labelSelector?: string[];
}

type Flags = 'generationTracked' | 'allowCreateOnUpdate' | 'returnDeletedObject' | 'deletedByController' | 'nameRule' | 'printer';

/** An entry as kinds/<group>.ts writes it: T is the kind's object type; flags left out are false. */
export type KindSpec<T> = Partial<Pick<KindStrategy, Flags>> &
  Omit<KindStrategy, Flags | 'resource' | 'validate'> & {
    validate?(obj: T, old: T | undefined, subresource?: string): FieldCause[];
  };

/** A strategy with the defaults of everything left out: a DNS subdomain name, the Name/Age printer. */
export function defineKind<T>(resource: ResourceType, spec: KindSpec<T>): KindStrategy {
  return {
    generationTracked: false,
    allowCreateOnUpdate: false,
    returnDeletedObject: false,
    deletedByController: false,
    nameRule: 'subdomain',
    printer: defaultPrinter,
    ...spec,
    // Validation runs only on objects whose JSON types match the kind's schema: they have T's shape.
    validate: spec.validate as KindStrategy['validate'],
    resource,
  };
}

/** PrepareForCreate of most kinds with a status subresource: status is not accepted on create. */
export function startWithEmptyStatus(obj: KObj): void {
  obj.status = {};
}
