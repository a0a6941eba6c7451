import { Resources, allResources } from '../lib/api/resources';
import { modelNameFor, pruneUnknownFields, typeMismatches } from './schema';

describe('modelNameFor', () => {
  it.each(allResources.map((r) => [r.kind, r] as const))('knows %s', (_kind, r) => {
    expect(modelNameFor(r)).toBeDefined();
  });
  it('maps Event to CoreV1Event', () => expect(modelNameFor(Resources.events)).toBe('CoreV1Event'));
});

describe('pruneUnknownFields', () => {
  it('removes unknown fields at every depth and reports their paths', () => {
    const d: Record<string, unknown> = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', labels: { anything: 'goes' }, bogus: 1 },
      spec: {
        replicas: 1,
        replica: 2,
        template: {
          metadata: { labels: { a: 'b' } },
          spec: { containers: [{ name: 'c', image: 'i', imagee: 'typo', resources: { limits: { cpu: 1 } } }] },
        },
      },
      status: {},
      extra: true,
    };
    expect(pruneUnknownFields(Resources.deployments, d).sort()).toEqual(
      ['extra', 'metadata.bogus', 'spec.replica', 'spec.template.spec.containers[0].imagee'].sort(),
    );
    expect(d).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', labels: { anything: 'goes' } },
      spec: {
        replicas: 1,
        template: {
          metadata: { labels: { a: 'b' } },
          spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: 1 } } }] },
        },
      },
      status: {},
    });
  });
  it('keeps a known object intact', () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', annotations: { a: 'b' } },
      spec: { type: 'NodePort', ports: [{ port: 80, targetPort: 'http', nodePort: 30080 }], selector: { app: 'a' } },
    };
    const copy = JSON.parse(JSON.stringify(svc));
    expect(pruneUnknownFields(Resources.services, copy)).toEqual([]);
    expect(copy).toEqual(svc);
  });
  it('does not walk into values of the wrong type', () => {
    const pod = { spec: { containers: 'oops' } };
    expect(pruneUnknownFields(Resources.pods, pod)).toEqual([]);
  });
});

describe('typeMismatches', () => {
  const cases: Array<[string, unknown, Array<[string, string, string]>]> = [
    ['replicas as a string', { spec: { replicas: 'three' } }, [['spec.replicas', 'integer', 'string']]],
    ['replicas as a fraction', { spec: { replicas: 1.5 } }, [['spec.replicas', 'integer', 'number']]],
    ['containers as a map', { spec: { template: { spec: { containers: {} } } } }, [['spec.template.spec.containers', 'array', 'object']]],
    ['labels with a number value', { metadata: { labels: { a: 1 } } }, [['metadata.labels[a]', 'string', 'integer']]],
    ['spec as a list', { spec: [] }, [['spec', 'object', 'array']]],
    ['paused as a string', { spec: { paused: 'yes' } }, [['spec.paused', 'boolean', 'string']]],
    ['maxSurge as a bool', { spec: { strategy: { rollingUpdate: { maxSurge: true } } } }, [['spec.strategy.rollingUpdate.maxSurge', 'string or integer', 'boolean']]],
    ['nulls are fine', { spec: { replicas: null, selector: null } }, []],
    ['numeric quantities are fine', { spec: { template: { spec: { containers: [{ name: 'c', resources: { limits: { cpu: 2, memory: '1Gi' } } }] } } } }, []],
    ['creationTimestamp as a number', { metadata: { creationTimestamp: 5 } }, [['metadata.creationTimestamp', 'string', 'integer']]],
  ];
  it.each(cases)('%s', (_name, obj, want) => {
    expect(typeMismatches(Resources.deployments, obj).map((m) => [m.path, m.expected, m.actual])).toEqual(want);
  });
  it('checks base64 in secret data', () => {
    const found = typeMismatches(Resources.secrets, { data: { good: 'aGVsbG8=', bad: 'not base64!' }, stringData: { s: 'plain' } });
    expect(found.map((m) => [m.path, m.detail])).toEqual([['data[bad]', 'illegal base64 data']]);
  });
  it('reports a non-object body', () => {
    expect(typeMismatches(Resources.pods, [1])).toEqual([{ path: '', value: [1], expected: 'object', actual: 'array' }]);
  });
});

describe('typeMismatches: nulls', () => {
  it('accepts null fields but not null list elements or map values', () => {
    const found = typeMismatches(Resources.pods, {
      metadata: { creationTimestamp: null, labels: { a: null } },
      spec: { nodeName: null, containers: [null, { name: 'c', args: [null] }] },
    });
    expect(found.map((m) => [m.path, m.expected, m.actual])).toEqual([
      ['metadata.labels[a]', 'string', 'null'],
      ['spec.containers[0]', 'object', 'null'],
      ['spec.containers[1].args[0]', 'string', 'null'],
    ]);
  });
});
