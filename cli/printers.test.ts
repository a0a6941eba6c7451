// Printing as kubectl prints: tables (tabwriter layout, -o wide, -A, kind prefixes), ages, object names.
import { Resources } from '../lib/api/resources';
import { Table, printTable, qualifiedName, tabulate } from './printers';

const podTable: Table = {
  kind: 'Table',
  apiVersion: 'meta.k8s.io/v1',
  columnDefinitions: [
    { name: 'Name', type: 'string', format: 'name', description: '', priority: 0 },
    { name: 'Ready', type: 'string', format: '', description: '', priority: 0 },
    { name: 'Status', type: 'string', format: '', description: '', priority: 0 },
    { name: 'Restarts', type: 'integer', format: '', description: '', priority: 0 },
    { name: 'Age', type: 'string', format: '', description: '', priority: 0 },
    { name: 'IP', type: 'string', format: '', description: '', priority: 1 },
    { name: 'Node', type: 'string', format: '', description: '', priority: 1 },
  ],
  rows: [
    { cells: ['nginx-48ccb87g1f-7zfls', '1/1', 'Running', 0, '9s', '10.88.0.5', 'node-1'], object: { metadata: { name: 'nginx-48ccb87g1f-7zfls', namespace: 'default' } } },
  ],
};

describe('printing', () => {
  it('prints a Table like kubectl (tabwriter: padding 3, min width 6, last column unpadded)', () => {
    expect(printTable(podTable, {})).toBe('NAME                     READY   STATUS    RESTARTS   AGE\nnginx-48ccb87g1f-7zfls   1/1     Running   0          9s\n');
  });
  it('-o wide adds the priority-1 columns, -A a NAMESPACE column, several types a kind prefix', () => {
    expect(printTable(podTable, { wide: true }).split('\n')[0]).toBe('NAME                     READY   STATUS    RESTARTS   AGE   IP          NODE');
    expect(printTable(podTable, { withNamespace: true }).split('\n')[1].startsWith('default     nginx-')).toBe(true);
    expect(printTable(podTable, { kindPrefix: 'pod' }).split('\n')[1].startsWith('pod/nginx-48ccb87g1f-7zfls   ')).toBe(true);
    expect(printTable(podTable, { noHeaders: true })).not.toContain('NAME');
  });
  it('keeps watch rows at least as wide as the header block', () => {
    const first = tabulate([['NAME', 'READY', 'STATUS'], ['a', '1/1', 'Running']]);
    expect(tabulate([['b', '0/1', 'ContainerCreating']], first.widths).text).toBe('b      0/1     ContainerCreating\n');
  });
  it('names objects as kubectl does', () => {
    expect(qualifiedName(Resources.deployments, 'nginx')).toBe('deployment.apps/nginx');
    expect(qualifiedName(Resources.services, 'nginx')).toBe('service/nginx');
  });
});
