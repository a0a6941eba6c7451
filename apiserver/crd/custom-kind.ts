// A served version of a CRD as a kind of the strategy table (kube's customresource strategy and table
// convertor): the ResourceType clients see (the CRD's accepted names), and a KindStrategy that prunes,
// defaults and validates by the version's structural schema, tracks generation, drops status on create
// when the status subresource is on, refuses strategic merge patches, reads and writes the scale
// subresource at the CRD's paths and prints the additionalPrinterColumns.
import type { ResourceType } from '../../lib/api/resources';
import { JsonPath, goValue } from '../../lib/api/jsonpath';
import { defineKind, type KindStrategy, type ScalePaths } from '../kinds/strategy';
import { ageCol, col, formatAge, meta, nameCol, type Printer, type TableCell } from '../tables/common';
import { celViolations } from './cel';
import { jsonPathSegments } from './definition';
import { applySchemaDefaults, type JSONSchemaProps, prune, validateValue } from './schema';
import type { CrdNames, CrdVersion, CustomResourceDefinition, PrinterColumn } from './types';

type Json = Record<string, unknown>;

/** The ResourceType of one version of a CRD, named by its accepted names. */
export function customResourceType(crd: CustomResourceDefinition, version: CrdVersion, names: CrdNames): ResourceType {
  const subresources: string[] = [];
  if (version.subresources?.status) subresources.push('status');
  if (version.subresources?.scale) subresources.push('scale');
  return {
    group: crd.spec.group,
    version: version.name,
    resource: names.plural,
    kind: names.kind,
    listKind: names.listKind || `${names.kind}List`,
    singular: names.singular || names.kind.toLowerCase(),
    namespaced: crd.spec.scope === 'Namespaced',
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    subresources,
  };
}

/** A cell of an additional printer column (the table convertor's cellForJSONValue). */
function cellFor(type: string, value: unknown, now: number): TableCell {
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      if (value === '') return 'unknown';
      const t = Date.parse(value);
      return Number.isNaN(t) ? `<invalid: ${value}>` : formatAge(now - t);
    }
    default:
      return typeof value === 'string' ? value : goValue(value);
  }
}

/** The printer of a version: Name, then its additionalPrinterColumns (or Age when it names none). */
export function customPrinter(columns: PrinterColumn[] | undefined): Printer {
  if (!columns?.length) return { columns: [nameCol, ageCol], cells: (obj, now) => [meta(obj).name ?? '', cellFor('date', meta(obj).creationTimestamp, now)] };
  const compiled = columns.map((c) => {
    let path: JsonPath | undefined;
    try {
      path = new JsonPath(`{${c.jsonPath}}`);
    } catch {
      path = undefined; // an unparsable path prints empty cells, as kube's convertor does
    }
    return { c, path };
  });
  return {
    columns: [nameCol, ...columns.map((c) => ({ ...col(c.name, c.description ?? '', c.priority ?? 0, c.type), format: c.format ?? '' }))],
    cells: (obj, now) => [
      meta(obj).name ?? '',
      ...compiled.map(({ c, path }) => {
        if (!path) return null;
        let results: unknown[][];
        try {
          results = path.findResults(obj);
        } catch {
          return null;
        }
        const first = results[0] ?? [];
        if (first.length === 0) return null;
        if (first.length === 1) return cellFor(c.type, first[0], now);
        return first.map((v) => (typeof v === 'string' ? v : goValue(v))).join(',');
      }),
    ],
  };
}

function scalePaths(version: CrdVersion): ScalePaths | undefined {
  const scale = version.subresources?.scale;
  if (!scale) return undefined;
  const specReplicas = jsonPathSegments(scale.specReplicasPath);
  const statusReplicas = jsonPathSegments(scale.statusReplicasPath);
  if (!specReplicas || !statusReplicas) return undefined;
  return { specReplicas, statusReplicas, labelSelector: scale.labelSelectorPath ? jsonPathSegments(scale.labelSelectorPath) : undefined };
}

/** The strategy of one served version of a CRD. */
export function customKindStrategy(crd: CustomResourceDefinition, version: CrdVersion, names: CrdNames): KindStrategy {
  const rt = customResourceType(crd, version, names);
  const schema: JSONSchemaProps = version.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const hasStatus = !!version.subresources?.status;
  return defineKind<Json>(rt, {
    generationTracked: true,
    strategicMerge: false,
    unstructured: true,
    openAPISchema: schema as Record<string, unknown>,
    scale: scalePaths(version),
    printer: customPrinter(version.additionalPrinterColumns),
    prune: (obj) => prune(obj, schema),
    prepareForCreate: (obj) => {
      if (hasStatus) delete obj.status;
    },
    defaults: (obj) => applySchemaDefaults(obj, schema),
    validate: (obj, old) => [...validateValue(obj, schema, ''), ...celViolations(obj, old, schema)],
  });
}
