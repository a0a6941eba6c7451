import { patchMetaForKind } from '../../lib/api/patch-meta';
import { JsonMap, threeWayMergePatch } from './three-way';
import { applyPatchFor, goJson, lastAppliedAnnotation, readLastApplied, withLastApplied } from './apply-object';

const deployMeta = patchMetaForKind('Deployment');

function deployment(containers: JsonMap[], extra: JsonMap = {}): JsonMap {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', namespace: 'default' },
    spec: { replicas: 1, template: { spec: { containers } }, ...extra },
  };
}

describe('threeWayMergePatch', () => {
  const cases: Array<{ name: string; original: JsonMap | null; modified: JsonMap; current: JsonMap; want: JsonMap }> = [
    {
      name: 'nothing changed',
      original: { spec: { replicas: 1 } },
      modified: { spec: { replicas: 1 } },
      current: { spec: { replicas: 1 }, status: { replicas: 1 } },
      want: {},
    },
    {
      name: 'scalar changed in the file',
      original: { spec: { replicas: 1 } },
      modified: { spec: { replicas: 3 } },
      current: { spec: { replicas: 1 } },
      want: { spec: { replicas: 3 } },
    },
    {
      name: 'live drifted from the file: the file wins',
      original: { spec: { replicas: 3 } },
      modified: { spec: { replicas: 3 } },
      current: { spec: { replicas: 5 } },
      want: { spec: { replicas: 3 } },
    },
    {
      name: 'field removed from the file is deleted',
      original: { metadata: { labels: { app: 'nginx', tier: 'web' } } },
      modified: { metadata: { labels: { app: 'nginx' } } },
      current: { metadata: { labels: { app: 'nginx', tier: 'web' } } },
      want: { metadata: { labels: { tier: null } } },
    },
    {
      name: 'field another writer added (never applied) is kept',
      original: { metadata: { labels: { app: 'nginx' } } },
      modified: { metadata: { labels: { app: 'nginx' } } },
      current: { metadata: { labels: { app: 'nginx', added: 'by-hand' } } },
      want: {},
    },
    {
      name: 'no last-applied: additions only, nothing deleted',
      original: null,
      modified: { metadata: { labels: { app: 'nginx' } } },
      current: { metadata: { labels: { other: 'x' } } },
      want: { metadata: { labels: { app: 'nginx' } } },
    },
    {
      name: 'whole map removed from the file',
      original: { spec: { strategy: { type: 'Recreate' }, replicas: 1 } },
      modified: { spec: { replicas: 1 } },
      current: { spec: { strategy: { type: 'Recreate' }, replicas: 1 } },
      want: { spec: { strategy: null } },
    },
  ];
  test.each(cases)('$name', ({ original, modified, current, want }) => {
    expect(threeWayMergePatch(original, modified, current, deployMeta)).toEqual(want);
  });

  it('changes a container by merge key and keeps the element order', () => {
    const original = deployment([{ name: 'nginx', image: 'nginx:1.22' }, { name: 'side', image: 'busybox:1.35' }]);
    const modified = deployment([{ name: 'nginx', image: 'nginx:1.23' }, { name: 'side', image: 'busybox:1.35' }]);
    const current = deployment([
      { name: 'nginx', image: 'nginx:1.22', imagePullPolicy: 'IfNotPresent' },
      { name: 'side', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' },
    ]);
    expect(threeWayMergePatch(original, modified, current, deployMeta)).toEqual({
      spec: {
        template: {
          spec: {
            containers: [{ name: 'nginx', image: 'nginx:1.23' }],
            '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'side' }],
          },
        },
      },
    });
  });

  it('deletes a container removed from the file with $patch: delete', () => {
    const original = deployment([{ name: 'nginx', image: 'nginx:1.22' }, { name: 'side', image: 'busybox:1.35' }]);
    const modified = deployment([{ name: 'nginx', image: 'nginx:1.22' }]);
    const current = deployment([
      { name: 'nginx', image: 'nginx:1.22', terminationMessagePath: '/dev/termination-log' },
      { name: 'side', image: 'busybox:1.35' },
    ]);
    expect(threeWayMergePatch(original, modified, current, deployMeta)).toEqual({
      spec: {
        template: {
          spec: {
            containers: [{ name: 'side', $patch: 'delete' }],
            '$setElementOrder/containers': [{ name: 'nginx' }],
          },
        },
      },
    });
  });

  it('removes a field inside a container (env var) and adds a port', () => {
    const original = deployment([{ name: 'nginx', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }]);
    const modified = deployment([{ name: 'nginx', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] }]);
    const current = deployment([{ name: 'nginx', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }]);
    expect(threeWayMergePatch(original, modified, current, deployMeta)).toEqual({
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'nginx',
                env: [{ name: 'B', $patch: 'delete' }],
                '$setElementOrder/env': [{ name: 'A' }],
                ports: [{ containerPort: 80 }], // a new field: added verbatim, no order directive
              },
            ],
            '$setElementOrder/containers': [{ name: 'nginx' }],
          },
        },
      },
    });
  });

  it('replaces atomic lists (container args) as a whole', () => {
    const original = deployment([{ name: 'c', args: ['a', 'b'] }]);
    const modified = deployment([{ name: 'c', args: ['a'] }]);
    const current = deployment([{ name: 'c', args: ['a', 'b'] }]);
    expect(threeWayMergePatch(original, modified, current, deployMeta)).toEqual({
      spec: { template: { spec: { containers: [{ name: 'c', args: ['a'] }], '$setElementOrder/containers': [{ name: 'c' }] } } },
    });
  });

  it('uses $deleteFromPrimitiveList for set lists (finalizers)', () => {
    const meta = patchMetaForKind('Pod');
    expect(
      threeWayMergePatch(
        { metadata: { finalizers: ['a', 'b'] } },
        { metadata: { finalizers: ['a', 'c'] } },
        { metadata: { finalizers: ['a', 'b'] } },
        meta,
      ),
    ).toEqual({
      metadata: {
        finalizers: ['c'],
        '$deleteFromPrimitiveList/finalizers': ['b'],
        '$setElementOrder/finalizers': ['a', 'c'],
      },
    });
  });

  it('replaces a value whose type changed', () => {
    expect(threeWayMergePatch({ a: { b: 1 } }, { a: 'x' }, { a: { b: 1 } }, {})).toEqual({ a: 'x' });
  });
});

describe('last-applied annotation', () => {
  const manifest: JsonMap = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', namespace: 'default', labels: { app: 'nginx' } },
    spec: { replicas: 1 },
  };

  it('is compact JSON with sorted keys, empty annotations and a trailing newline, like kubectl', () => {
    const annotated = withLastApplied(manifest);
    const value = (annotated.metadata as JsonMap).annotations as JsonMap;
    expect(value[lastAppliedAnnotation]).toBe(
      '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"labels":{"app":"nginx"},' +
        '"name":"nginx","namespace":"default"},"spec":{"replicas":1}}\n',
    );
    expect(readLastApplied(annotated)).toEqual({ ...manifest, metadata: { ...(manifest.metadata as JsonMap), annotations: {} } });
  });

  it('escapes HTML characters as Go does', () => {
    expect(goJson({ b: '<a&b>', a: 1 })).toBe('{"a":1,"b":"\\u003ca\\u0026b\\u003e"}\n');
  });

  it('keeps the user annotations and does not nest an old last-applied', () => {
    const withOld: JsonMap = {
      ...manifest,
      metadata: { ...(manifest.metadata as JsonMap), annotations: { team: 'h', [lastAppliedAnnotation]: 'old' } },
    };
    const annotations = (withLastApplied(withOld).metadata as JsonMap).annotations as JsonMap;
    expect(annotations.team).toBe('h');
    expect(annotations[lastAppliedAnnotation]).toContain('"annotations":{"team":"h"}');
    expect(annotations[lastAppliedAnnotation]).not.toContain('old');
  });

  it('an object applied by kubectl and re-applied unchanged gives an empty patch', () => {
    const live: JsonMap = {
      ...withLastApplied(manifest),
      metadata: {
        ...((withLastApplied(manifest).metadata as JsonMap) || {}),
        uid: 'u1',
        resourceVersion: '12',
        generation: 1,
      },
      spec: { replicas: 1, revisionHistoryLimit: 10 },
      status: { replicas: 1 },
    };
    expect(applyPatchFor(manifest, live)).toEqual({});
  });

  it('a changed file patches the field and the annotation', () => {
    const live = withLastApplied(manifest);
    const changed: JsonMap = { ...manifest, spec: { replicas: 3 } };
    const patch = applyPatchFor(changed, live);
    expect(patch.spec).toEqual({ replicas: 3 });
    expect(((patch.metadata as JsonMap).annotations as JsonMap)[lastAppliedAnnotation]).toContain('"replicas":3');
    expect(Object.keys(patch).sort()).toEqual(['metadata', 'spec']);
  });
});
