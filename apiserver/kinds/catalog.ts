// The kinds one apiserver serves: the built-in resources of lib/api/resources.ts plus the custom
// resources its CustomResourceDefinitions register at run time. Routing (request-info), discovery,
// the OpenAPI documents and the namespace cleaner read this one catalog; the strategy of a registered
// kind is found by strategyFor like a built-in one. One catalog per server (a Registry owns it), so two
// apiservers in one process never see each other's CRDs.
import { allResources, groupVersion, servedOnlyResources, type ResourceType } from '../../lib/api/resources';
import { registerDynamicStrategy, type KindStrategy } from '.';

export class KindCatalog {
  private readonly byGV = new Map<string, Map<string, ResourceType>>();
  private served: ResourceType[] = [];
  private readonly listeners = new Set<() => void>();
  /** Bumped by every change; what the OpenAPI documents are cached against. */
  generation = 0;

  /** Routed and discovered but not stored as themselves (metrics.k8s.io, autoscaling/v1): not in all(). */
  private readonly servedOnly: readonly ResourceType[];

  constructor(builtins: readonly ResourceType[] = allResources, servedOnly: readonly ResourceType[] = servedOnlyResources) {
    for (const rt of builtins) this.add(rt);
    this.servedOnly = servedOnly;
    for (const rt of servedOnly) {
      const gv = groupVersion(rt);
      if (!this.byGV.has(gv)) this.byGV.set(gv, new Map());
      this.byGV.get(gv)!.set(rt.resource, rt);
    }
  }

  private add(rt: ResourceType): void {
    const gv = groupVersion(rt);
    let table = this.byGV.get(gv);
    if (!table) this.byGV.set(gv, (table = new Map()));
    table.set(rt.resource, rt);
    this.served.push(rt);
  }

  /** Every served resource, built-in first, then custom ones in registration order. */
  all(): readonly ResourceType[] {
    return this.served;
  }

  /** What discovery lists: every stored kind and the served-only ones. */
  discoverable(): readonly ResourceType[] {
    return [...this.served, ...this.servedOnly];
  }

  /** The resource of a group/version path segment ('apps/v1', 'v1') and plural; undefined when not served. */
  lookup(gv: string, resource: string): ResourceType | undefined {
    return this.byGV.get(gv)?.get(resource);
  }

  /** Whether any resource of the group/version is served. */
  hasGroupVersion(gv: string): boolean {
    return (this.byGV.get(gv)?.size ?? 0) > 0;
  }

  /** The API groups (not core) and their versions, preferred version first. */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const rt of this.discoverable()) {
      if (!rt.group) continue;
      const versions = out.get(rt.group) ?? [];
      if (!versions.includes(rt.version)) versions.push(rt.version);
      out.set(rt.group, versions);
    }
    return out;
  }

  /** Serves a custom kind (one version of a CRD); replaces what the same group/version/resource served. */
  register(strategy: KindStrategy): void {
    const rt = strategy.resource;
    const old = this.lookup(groupVersion(rt), rt.resource);
    if (old) this.served = this.served.filter((r) => r !== old);
    registerDynamicStrategy(strategy);
    this.add(rt);
    this.changed();
  }

  /** Stops serving a custom kind. */
  unregister(rt: ResourceType): void {
    const gv = groupVersion(rt);
    const current = this.byGV.get(gv)?.get(rt.resource);
    if (!current) return;
    this.byGV.get(gv)!.delete(rt.resource);
    if (this.byGV.get(gv)!.size === 0) this.byGV.delete(gv);
    this.served = this.served.filter((r) => r !== current);
    this.changed();
  }

  /** Called after every register/unregister. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.generation++;
    for (const l of this.listeners) l();
  }
}
