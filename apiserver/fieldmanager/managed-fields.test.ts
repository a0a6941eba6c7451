// Field ownership between managers: Update tracking, and server-side apply's conflicts, force,
// shared ownership and removal of fields no longer applied.
import { Resources } from '../../lib/api/resources';
import type { KObj } from '../storage/types';
import { applyConfiguration, entriesOf, trackUpdate } from './managed-fields';
import { fieldsOf, pathString, schemaForKind } from './fields';

const rt = Resources.deployments;
const deploy = (spec: Record<string, unknown>, labels: Record<string, string> = { app: 'web' }): KObj => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels },
  spec,
});
const container = (extra: Record<string, unknown> = {}) => ({ name: 'c', image: 'nginx:1', ...extra });
const spec = (replicas: number, c = container()) => ({ replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [c] } } });

function withFields(obj: KObj, mf: ReturnType<typeof trackUpdate>): KObj {
  return { ...obj, metadata: { ...obj.metadata, managedFields: mf } };
}

describe('FieldsV1', () => {
  it('keys list elements by merge key, marks them with ".", and prints paths as structured-merge-diff', () => {
    const f = fieldsOf({ spec: spec(1) }, schemaForKind('Deployment'));
    expect(f['f:spec']['f:template']['f:spec']['f:containers']).toEqual({ 'k:{"name":"c"}': { '.': {}, 'f:name': {}, 'f:image': {} } });
    expect(pathString(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"c"}', 'f:image'])).toBe('.spec.template.spec.containers[name="c"].image');
    expect(pathString(['f:metadata', 'f:finalizers', 'v:"x"'])).toBe('.metadata.finalizers[="x"]');
  });
});

describe('Update operations', () => {
  it('give the creator every field, then move a changed field to the manager that changed it', () => {
    const created = deploy(spec(1));
    const mf1 = trackUpdate(rt, undefined, created, 'kubectl-create');
    expect(mf1).toHaveLength(1);
    expect(mf1[0]).toMatchObject({ manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' });
    expect(mf1[0].fieldsV1['f:spec']['f:replicas']).toEqual({});
    expect(mf1[0].fieldsV1['f:metadata']).toEqual({ 'f:labels': { '.': {}, 'f:app': {} } });
    const scaled = deploy(spec(3));
    const mf2 = trackUpdate(rt, withFields(created, mf1), scaled, 'kubectl-scale');
    expect(mf2.map((e) => e.manager)).toEqual(['kubectl-create', 'kubectl-scale']);
    expect(mf2[0].fieldsV1['f:spec']['f:replicas']).toBeUndefined();
    expect(mf2[1].fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
  });
  it('record status writes with subresource status, and never status in the main resource', () => {
    const live = deploy(spec(1));
    const mf = trackUpdate(rt, live, { ...live, status: { replicas: 1 } }, 'ctrl', 'status');
    expect(mf).toEqual([expect.objectContaining({ manager: 'ctrl', subresource: 'status', fieldsV1: { 'f:status': { 'f:replicas': {} } } })]);
    expect(trackUpdate(rt, live, { ...live, status: { replicas: 2 } }, 'x')).toEqual([]);
  });
});

describe('server-side apply between two managers', () => {
  const a = deploy(spec(1, container({ env: [{ name: 'A', value: '1' }] })));
  const first = applyConfiguration(rt, undefined, structuredClone(a), 'alice', false);
  const live = withFields(first.object, first.managedFields);

  it('creates with an Apply entry of the applied fields', () => {
    expect(first.managedFields).toEqual([expect.objectContaining({ manager: 'alice', operation: 'Apply' })]);
    expect(first.managedFields[0]).not.toHaveProperty('subresource');
  });

  it('shares a field applied with the same value, and conflicts on a different one (409 naming manager and field)', () => {
    const same = applyConfiguration(rt, live, deploy({ replicas: 1 }), 'bob', false);
    expect(same.managedFields.map((e) => e.manager)).toEqual(['alice', 'bob']);
    expect(same.managedFields[0].fieldsV1['f:spec']['f:replicas']).toEqual({});
    let err: unknown;
    try {
      applyConfiguration(rt, live, deploy({ replicas: 5 }), 'bob', false);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 409, reason: 'Conflict', message: 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas' });
    expect((err as { details: unknown }).details).toEqual({ causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.replicas' }] });
  });

  it('lists every conflict by manager; Update managers are named with their apiVersion', () => {
    const updated = withFields(live, trackUpdate(rt, live, deploy(spec(2, container({ image: 'nginx:2', env: [{ name: 'A', value: '1' }] }))), 'kubectl-edit'));
    expect(() => applyConfiguration(rt, updated, deploy(spec(4, container({ image: 'nginx:3' }))), 'bob', false)).toThrow(
      'Apply failed with 2 conflicts: conflicts with "kubectl-edit" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="c"].image',
    );
  });

  it('force takes ownership from the other manager', () => {
    const r = applyConfiguration(rt, live, deploy({ replicas: 5 }), 'bob', true);
    expect((r.object.spec as { replicas: number }).replicas).toBe(5);
    expect(entriesOf(withFields(r.object, r.managedFields)).find((e) => e.manager === 'alice')!.fieldsV1['f:spec']['f:replicas']).toBeUndefined();
    expect(r.managedFields.find((e) => e.manager === 'bob')!.fieldsV1['f:spec']).toEqual({ 'f:replicas': {} });
  });

  it('removes a field its only manager stops applying, and keeps one another manager still owns', () => {
    const noEnv = applyConfiguration(rt, live, deploy(spec(1)), 'alice', false);
    expect((noEnv.object.spec as ReturnType<typeof spec>).template.spec.containers[0]).toEqual(container());
    const shared = applyConfiguration(rt, live, deploy({ replicas: 1 }), 'bob', false);
    const sharedLive = withFields(shared.object, shared.managedFields);
    const noReplicas = applyConfiguration(rt, sharedLive, deploy({ selector: spec(1).selector, template: spec(1).template }), 'alice', false);
    expect((noReplicas.object.spec as { replicas?: number }).replicas).toBe(1);
    const dropped = applyConfiguration(rt, live, deploy({ selector: spec(1).selector, template: spec(1).template }), 'alice', false);
    expect(dropped.object.spec).not.toHaveProperty('replicas');
  });

  it('merges keyed lists element by element', () => {
    const r = applyConfiguration(rt, live, deploy({ template: { spec: { containers: [{ name: 'side', image: 'busybox' }] } } }), 'bob', false);
    expect((r.object.spec as ReturnType<typeof spec>).template.spec.containers.map((c) => c.name)).toEqual(['c', 'side']);
  });
});

describe('the upgrade from client-side apply', () => {
  const applied = deploy(spec(2));
  const lastApplied = JSON.stringify(applied);
  const created = { ...applied, metadata: { ...applied.metadata, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } } };
  const live = withFields(created, trackUpdate(rt, undefined, created, 'kubectl-client-side-apply'));

  it('lets kubectl take over fields still as last applied client-side', () => {
    const r = applyConfiguration(rt, live, deploy(spec(4)), 'kubectl', false);
    expect((r.object.spec as { replicas: number }).replicas).toBe(4);
  });
  it("keeps a map whose '.' the manager owned while its keys are still applied (kubectl's re-apply after migration)", () => {
    const migrated = withFields(live, [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:selector': { 'f:matchLabels': { '.': {}, 'f:app': {} } } } } }]);
    const r = applyConfiguration(rt, migrated, deploy(spec(2)), 'kubectl', false);
    expect((r.object.spec as ReturnType<typeof spec>).selector).toEqual({ matchLabels: { app: 'web' } });
  });
  it('still conflicts for another manager, or on a field someone else changed since', () => {
    expect(() => applyConfiguration(rt, live, deploy(spec(4)), 'other', false)).toThrow(/conflict with "kubectl-client-side-apply" using apps\/v1: .spec.replicas/);
    const scaled = withFields({ ...live, spec: spec(3) }, trackUpdate(rt, live, { ...live, spec: spec(3) }, 'kubectl-client-side-apply'));
    expect(() => applyConfiguration(rt, scaled, deploy(spec(4)), 'kubectl', false)).toThrow(/Apply failed with 1 conflict/);
  });
});
