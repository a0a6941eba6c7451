// The CustomResourceDefinition kind itself (kube's apiextensions-apiserver pkg/registry/
// customresourcedefinition and pkg/apis/apiextensions/validation): defaults, validation of names,
// versions, schemas (structural), subresources and printer columns, the cleanup finalizer on create,
// and the `kubectl get crd` printer. Serving what a CRD defines is serving.ts.
import { Resources } from '../../lib/api/resources';
import { defineKind, type KindStrategy } from '../kinds/strategy';
import { col, meta, type Printer } from '../tables/common';
import { at, dns1123Label, dns1123Subdomain, type FieldCause, idx, invalid, notSupported, required } from '../validation/common';
import { celRuleViolations } from './cel';
import { structuralViolations } from './schema';
import { crdServingOf } from './serving';
import { CleanupFinalizer, type CustomResourceDefinition } from './types';

type Json = Record<string, unknown>;

/** SetDefaults_CustomResourceDefinition(Spec): singular, listKind, conversion None. */
export function defaultCrd(obj: Json): void {
  const spec = obj.spec as Partial<CustomResourceDefinition['spec']> | undefined;
  if (!spec || typeof spec !== 'object') return;
  const names = spec.names;
  if (names && typeof names === 'object' && typeof names.kind === 'string') {
    if (!names.singular) names.singular = names.kind.toLowerCase();
    if (!names.listKind) names.listKind = `${names.kind}List`;
  }
  if (!spec.conversion) spec.conversion = { strategy: 'None' };
}

const builtinGroups = new Set(['', 'apps', 'batch', 'coordination.k8s.io', 'discovery.k8s.io', 'rbac.authorization.k8s.io', 'authorization.k8s.io', 'authentication.k8s.io', 'apiextensions.k8s.io', 'autoscaling', 'policy', 'networking.k8s.io', 'storage.k8s.io']);

/** Path segments of a simple JSON path (`.spec.replicas`); undefined when it is not one. */
export function jsonPathSegments(p: string): string[] | undefined {
  if (!/^(\.[A-Za-z0-9_-]+)+$/.test(p)) return undefined;
  return p.slice(1).split('.');
}

function validateNames(names: CustomResourceDefinition['spec']['names'] | undefined, f: string): FieldCause[] {
  const out: FieldCause[] = [];
  if (!names || typeof names !== 'object') return [required(f)];
  const label = (v: unknown, field: string, isRequired: boolean) => {
    if (v === undefined || v === '') {
      if (isRequired) out.push(required(field));
      return;
    }
    if (typeof v !== 'string') return out.push(invalid(field, v, 'must be a string'));
    for (const m of dns1123Label(v)) out.push(invalid(field, v, m));
  };
  label(names.plural, at(f, 'plural'), true);
  label(names.singular, at(f, 'singular'), false);
  if (!names.kind) out.push(required(at(f, 'kind')));
  else if (!/^[A-Za-z][A-Za-z0-9]*$/.test(names.kind)) out.push(invalid(at(f, 'kind'), names.kind, 'may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?'));
  if (names.listKind && names.listKind === names.kind) out.push(invalid(at(f, 'listKind'), names.listKind, 'kind and listKind may not be the same'));
  (names.shortNames ?? []).forEach((s, i) => label(s, idx(at(f, 'shortNames'), i), true));
  (names.categories ?? []).forEach((s, i) => label(s, idx(at(f, 'categories'), i), true));
  return out;
}

/** ValidateCustomResourceDefinition (and its update rules when `old` is given). */
export function validateCrd(crd: CustomResourceDefinition, old: CustomResourceDefinition | undefined): FieldCause[] {
  const out: FieldCause[] = [];
  const spec = crd.spec;
  if (!spec || typeof spec !== 'object') return [required('spec')];
  const name = crd.metadata?.name ?? '';
  if (!spec.group) out.push(required('spec.group'));
  else {
    for (const m of dns1123Subdomain(spec.group)) out.push(invalid('spec.group', spec.group, m));
    if (!spec.group.includes('.')) out.push(invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
    if (builtinGroups.has(spec.group)) out.push(invalid('spec.group', spec.group, 'is a group of the built-in API'));
  }
  if (spec.names?.plural && spec.group && name !== `${spec.names.plural}.${spec.group}`) {
    out.push(invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  }
  out.push(...validateNames(spec.names, 'spec.names'));
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') out.push(spec.scope ? notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']) : required('spec.scope'));
  const strategy = spec.conversion?.strategy;
  if (strategy !== 'None') out.push(notSupported('spec.conversion.strategy', strategy, ['None']));
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0) out.push(required('spec.versions', 'must have exactly one version marked as storage version'));
  else if (versions.filter((v) => v?.storage).length !== 1) out.push(invalid('spec.versions', versions.map((v) => v?.name), 'must have exactly one version marked as storage version'));
  if (versions.length && !versions.some((v) => v?.served)) out.push(invalid('spec.versions', versions.map((v) => v?.name), 'must have at least one served version'));
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    const f = idx('spec.versions', i);
    if (!v || typeof v !== 'object') return out.push(required(f));
    if (!v.name) out.push(required(at(f, 'name')));
    else {
      for (const m of dns1123Label(v.name)) out.push(invalid(at(f, 'name'), v.name, m));
      if (seen.has(v.name)) out.push({ reason: 'FieldValueDuplicate', field: at(f, 'name'), message: `Duplicate value: ${JSON.stringify(v.name)}` });
      seen.add(v.name);
    }
    const schema = v.schema?.openAPIV3Schema;
    if (!schema) out.push(required(at(f, 'schema.openAPIV3Schema'), 'schemas are required'));
    else out.push(...structuralViolations(schema, at(f, 'schema.openAPIV3Schema')), ...celRuleViolations(schema, at(f, 'schema.openAPIV3Schema')));
    const scale = v.subresources?.scale;
    if (scale) {
      const sf = at(f, 'subresources.scale');
      const spath = jsonPathSegments(scale.specReplicasPath ?? '');
      if (!scale.specReplicasPath) out.push(required(at(sf, 'specReplicasPath')));
      else if (!spath || spath[0] !== 'spec') out.push(invalid(at(sf, 'specReplicasPath'), scale.specReplicasPath, 'should be a json path under .spec'));
      const stpath = jsonPathSegments(scale.statusReplicasPath ?? '');
      if (!scale.statusReplicasPath) out.push(required(at(sf, 'statusReplicasPath')));
      else if (!stpath || stpath[0] !== 'status') out.push(invalid(at(sf, 'statusReplicasPath'), scale.statusReplicasPath, 'should be a json path under .status'));
      if (scale.labelSelectorPath) {
        const lp = jsonPathSegments(scale.labelSelectorPath);
        if (!lp || (lp[0] !== 'spec' && lp[0] !== 'status')) out.push(invalid(at(sf, 'labelSelectorPath'), scale.labelSelectorPath, 'should be a json path under either .spec or .status'));
      }
    }
    (v.additionalPrinterColumns ?? []).forEach((c, j) => {
      const cf = idx(at(f, 'additionalPrinterColumns'), j);
      if (!c.name) out.push(required(at(cf, 'name')));
      if (!['integer', 'number', 'string', 'boolean', 'date'].includes(c.type)) out.push(notSupported(at(cf, 'type'), c.type, ['boolean', 'date', 'integer', 'number', 'string']));
      if (!c.jsonPath) out.push(required(at(cf, 'jsonPath')));
    });
  });
  if (old?.spec) {
    if (old.spec.group !== spec.group) out.push(invalid('spec.group', spec.group, 'field is immutable'));
    if (old.spec.scope !== spec.scope) out.push(invalid('spec.scope', spec.scope, 'field is immutable'));
    const stored = old.status?.storedVersions ?? [];
    for (const sv of stored) {
      if (!versions.some((v) => v?.name === sv) && crd.status?.storedVersions?.includes(sv)) {
        out.push(invalid('status.storedVersions', stored, `must have the storage version ${sv} in spec.versions`));
      }
    }
  }
  return out;
}

function establishedCell(obj: Json): string {
  const st = obj.status as CustomResourceDefinition['status'] | undefined;
  return st?.conditions?.find((c) => c.type === 'Established')?.status ?? '';
}

/** `kubectl get crd`: NAME and CREATED AT (kube's CRD table). */
const crdPrinter: Printer = {
  columns: [col('Name', 'Name must be unique within a namespace. Cannot be updated.'), col('Created At', 'Time when the definition was created.', 0, 'date'), col('Established', 'Whether the definition is served.', 1)],
  cells: (obj) => [meta(obj).name ?? '', meta(obj).creationTimestamp ?? '', establishedCell(obj)],
};

export const apiextensionsKinds: KindStrategy[] = [
  defineKind<CustomResourceDefinition>(Resources.customresourcedefinitions, {
    generationTracked: true,
    prepareForCreate: (obj) => {
      obj.status = { conditions: [], acceptedNames: { plural: '', kind: '' }, storedVersions: [] };
      const finalizers = Array.isArray(obj.metadata.finalizers) ? (obj.metadata.finalizers as string[]) : [];
      if (!finalizers.includes(CleanupFinalizer)) obj.metadata.finalizers = [...finalizers, CleanupFinalizer];
    },
    // Served at once: the names are checked and the kind registered before the create is answered.
    afterCreate: async (registry, stored) => crdServingOf(registry)?.sync(String(stored.obj.metadata.name)),
    defaults: defaultCrd,
    validate: validateCrd,
    printer: crdPrinter,
  }),
];
