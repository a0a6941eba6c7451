// Server-side tables (meta.k8s.io/v1 Table) with the columns and cell formats of Kubernetes' printers
// (pkg/printers/internalversion), which is what `kubectl get` prints. Pure: `now` is passed in.
import type { ResourceType } from '../../lib/api/resources';
import { daemonSetPrinter, deploymentPrinter, replicaSetPrinter } from './apps';
import { jobPrinter } from './batch';
import { buildTable, defaultPrinter, Printer, Table, TableColumnDefinition, TableOptions } from './common';
import {
  configMapPrinter,
  endpointsPrinter,
  eventPrinter,
  leasePrinter,
  namespacePrinter,
  nodePrinter,
  secretPrinter,
  serviceAccountPrinter,
  servicePrinter,
} from './core';
import { podPrinter } from './pod';

export type { PartialObjectMetadata, Table, TableCell, TableColumnDefinition, TableOptions, TableRow } from './common';

const printers: Record<string, Printer> = {
  'batch/jobs': jobPrinter,
  '/pods': podPrinter,
  'apps/deployments': deploymentPrinter,
  'apps/replicasets': replicaSetPrinter,
  'apps/daemonsets': daemonSetPrinter,
  '/services': servicePrinter,
  '/endpoints': endpointsPrinter,
  '/nodes': nodePrinter,
  '/namespaces': namespacePrinter,
  '/events': eventPrinter,
  '/configmaps': configMapPrinter,
  '/secrets': secretPrinter,
  '/serviceaccounts': serviceAccountPrinter,
  'coordination.k8s.io/leases': leasePrinter,
};

/** The column definitions of a resource's table. */
export function tableColumns(resource: ResourceType): TableColumnDefinition[] {
  return (printers[`${resource.group}/${resource.resource}`] ?? defaultPrinter).columns.map((c) => ({ ...c }));
}

/** Builds the Table kubectl asks for (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`). */
export function toTable(resource: ResourceType, objects: unknown[], opts: TableOptions): Table {
  return buildTable(printers[`${resource.group}/${resource.resource}`] ?? defaultPrinter, objects, opts);
}
