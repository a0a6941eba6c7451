// Server-side tables (meta.k8s.io/v1 Table) with the columns and cell formats of Kubernetes' printers
// (pkg/printers/internalversion), which is what `kubectl get` prints: one file of printers per API group,
// and each kind's strategy (apiserver/kinds/) names its printer. Pure: `now` is passed in.
import type { ResourceType } from '../../lib/api/resources';
import { strategyFor } from '../kinds';
import { buildTable, Table, TableColumnDefinition, TableOptions } from './common';

export type { PartialObjectMetadata, Table, TableCell, TableColumnDefinition, TableOptions, TableRow } from './common';

/** The column definitions of a resource's table. */
export function tableColumns(resource: ResourceType): TableColumnDefinition[] {
  return strategyFor(resource).printer.columns.map((c) => ({ ...c }));
}

/** Builds the Table kubectl asks for (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`). */
export function toTable(resource: ResourceType, objects: unknown[], opts: TableOptions): Table {
  return buildTable(strategyFor(resource).printer, objects, opts);
}
