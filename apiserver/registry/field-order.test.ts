import { goStringCompare, orderObject, orderValue, shapeOfKind, type Shape } from './field-order';
import type { ResourceType } from '../../lib/api/resources';

const rt = (group: string, version: string, kind: string) => ({ group, version, kind }) as ResourceType;

test("Go's string order is UTF-8's: a character beyond the BMP sorts after U+FFFD", () => {
  expect(goStringCompare('a', 'b')).toBeLessThan(0);
  expect(goStringCompare('ab', 'a')).toBeGreaterThan(0);
  expect(goStringCompare('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
  expect(goStringCompare('\uFFFD', '\u{1F600}')).toBeLessThan(0);
  expect(goStringCompare('\u00e9', '\u{1F600}')).toBeLessThan(0);
});

test('FieldsV1: `.` first, then fields, keyed elements (numbers before strings), values, indexes', () => {
  const mf = {
    kind: 'ConfigMap',
    metadata: {
      managedFields: [
        {
          fieldsV1: {
            'i:2': {},
            'i:10': {},
            'v:"b"': {},
            'v:"a"': {},
            'k:{"name":"b"}': {},
            'k:{"name":"a"}': {},
            'k:{"containerPort":8080,"protocol":"TCP"}': {},
            'k:{"containerPort":80,"protocol":"UDP"}': {},
            'f:z': { 'f:b': {}, '.': {}, 'f:a': {} },
            'f:a': {},
            '.': {},
          },
          time: 't',
          manager: 'm',
        },
      ],
      name: 'x',
    },
    apiVersion: 'v1',
  };
  orderObject(mf, shapeOfKind(rt('', 'v1', 'ConfigMap')));
  expect(Object.keys(mf)).toEqual(['kind', 'apiVersion', 'metadata']);
  // An object's unset creationTimestamp is null, as Go writes a zero metav1.Time (a TokenReview's answer).
  expect(Object.keys(mf.metadata)).toEqual(['name', 'creationTimestamp', 'managedFields']);
  const entry = mf.metadata.managedFields[0];
  expect(Object.keys(entry)).toEqual(['manager', 'time', 'fieldsV1']);
  expect(Object.keys(entry.fieldsV1)).toEqual(['.', 'f:a', 'f:z', 'k:{"containerPort":80,"protocol":"UDP"}', 'k:{"containerPort":8080,"protocol":"TCP"}', 'k:{"name":"a"}', 'k:{"name":"b"}', 'v:"a"', 'v:"b"', 'i:2', 'i:10']);
  expect(Object.keys(entry.fieldsV1['f:z'])).toEqual(['.', 'f:a', 'f:b']);
});

test('maps sorted, their values ordered; an object already in order is the same object', () => {
  const spec = { containers: [{ resources: { requests: { memory: '1', cpu: '1' } }, name: 'c' }], nodeSelector: { z: '1', a: '2' } };
  const pod = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p' }, spec };
  orderObject(pod, shapeOfKind(rt('', 'v1', 'Pod')));
  expect(Object.keys(pod.spec.containers[0])).toEqual(['name', 'resources']);
  expect(Object.keys(pod.spec.containers[0].resources.requests)).toEqual(['cpu', 'memory']);
  expect(Object.keys(pod.spec.nodeSelector)).toEqual(['a', 'z']);
  const shape: Shape = shapeOfKind(rt('', 'v1', 'Pod'));
  const again = pod.spec;
  expect(orderValue(pod, shape)).toBe(pod);
  expect(pod.spec).toBe(again);
});

test('a kind without a Go message here: TypeMeta, ObjectMeta in order, the rest as sent, status last', () => {
  const crd = { status: {}, spec: { z: 1, a: 2 }, metadata: { uid: 'u', name: 'n' }, apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };
  orderObject(crd, shapeOfKind(rt('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition')));
  expect(Object.keys(crd)).toEqual(['kind', 'apiVersion', 'metadata', 'spec', 'status']);
  expect(Object.keys(crd.metadata)).toEqual(['name', 'uid', 'creationTimestamp']);
  expect(Object.keys(crd.spec)).toEqual(['z', 'a']);
});

test('unstructured (custom resources): every key sorted', () => {
  const cr = { spec: { b: [{ z: 1, a: 1 }], a: 1 }, metadata: { uid: 'u', name: 'n' }, kind: 'W', apiVersion: 'x/v1' };
  orderObject(cr, shapeOfKind(rt('x', 'v1', 'W'), 'W', true));
  expect(JSON.stringify(cr)).toBe('{"apiVersion":"x/v1","kind":"W","metadata":{"name":"n","uid":"u"},"spec":{"a":1,"b":[{"a":1,"z":1}]}}');
});

test("fields Go always writes are filled in with Go's zero values: no omitempty, or a struct held by value", () => {
  const ev: Record<string, unknown> = { kind: 'Event', apiVersion: 'v1', metadata: { name: 'e', creationTimestamp: 't' }, reason: 'R' };
  orderObject(ev, shapeOfKind(rt('', 'v1', 'Event')));
  expect(JSON.stringify(ev)).toBe(
    '{"kind":"Event","apiVersion":"v1","metadata":{"name":"e","creationTimestamp":"t"},"involvedObject":{},"reason":"R","source":{},"firstTimestamp":null,"lastTimestamp":null,"eventTime":null,"reportingComponent":"","reportingInstance":""}',
  );
  const svc: Record<string, unknown> = { kind: 'Service', apiVersion: 'v1', metadata: { name: 's', creationTimestamp: 't' }, spec: { ports: [{ port: 80, targetPort: 80 }] } };
  orderObject(svc, shapeOfKind(rt('', 'v1', 'Service')));
  expect(JSON.stringify(svc)).toBe('{"kind":"Service","apiVersion":"v1","metadata":{"name":"s","creationTimestamp":"t"},"spec":{"ports":[{"port":80,"targetPort":80}]},"status":{"loadBalancer":{}}}');
  const role: Record<string, unknown> = { kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name: 'r', creationTimestamp: 't' }, aggregationRule: {} };
  orderObject(role, shapeOfKind(rt('rbac.authorization.k8s.io', 'v1', 'ClusterRole')));
  expect(JSON.stringify(role)).toBe('{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"r","creationTimestamp":"t"},"rules":null,"aggregationRule":{}}');
  // A node's status: structs by value at every depth, each with its always-written fields.
  const node: Record<string, unknown> = { kind: 'Node', apiVersion: 'v1', metadata: { name: 'n', creationTimestamp: 't' }, status: { nodeInfo: { kubeletVersion: 'v1' } } };
  orderObject(node, shapeOfKind(rt('', 'v1', 'Node')));
  expect(node.spec).toEqual({});
  const status = node.status as Record<string, Record<string, unknown>>;
  expect(status.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 0 } });
  expect(status.nodeInfo).toEqual({ machineID: '', systemUUID: '', bootID: '', kernelVersion: '', osImage: '', containerRuntimeVersion: '', kubeletVersion: 'v1', kubeProxyVersion: '', operatingSystem: '', architecture: '' });
  // Values that are set stay as they are; pointers and omitempty fields stay left out.
  const pod: Record<string, unknown> = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', creationTimestamp: 't' }, spec: { containers: [{ name: 'c', image: 'i' }] }, status: { containerStatuses: [{ name: 'c', ready: true, restartCount: 1, image: 'i', state: { running: {} } }] } };
  orderObject(pod, shapeOfKind(rt('', 'v1', 'Pod')));
  expect(JSON.stringify(pod)).toBe(
    '{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","creationTimestamp":"t"},"spec":{"containers":[{"name":"c","image":"i","resources":{}}]},"status":{"containerStatuses":[{"name":"c","state":{"running":{"startedAt":null}},"lastState":{},"ready":true,"restartCount":1,"image":"i","imageID":""}]}}',
  );
});

test('batch/v1beta1 CronJob: its own Go message, down to the batch/v1 JobSpec of its job template', () => {
  const cj: Record<string, unknown> = {
    spec: { jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ image: 'b', name: 'c' }] } }, backoffLimit: 1 } }, schedule: '* * * * *' },
    metadata: { name: 'cj', creationTimestamp: 't' },
    apiVersion: 'batch/v1beta1',
    kind: 'CronJob',
  };
  orderObject(cj, shapeOfKind(rt('batch', 'v1beta1', 'CronJob')));
  expect(JSON.stringify(cj)).toBe(
    '{"kind":"CronJob","apiVersion":"batch/v1beta1","metadata":{"name":"cj","creationTimestamp":"t"},"spec":{"schedule":"* * * * *","jobTemplate":{"metadata":{"creationTimestamp":null},"spec":{"backoffLimit":1,"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"c","image":"b","resources":{}}],"restartPolicy":"Never"}}}}},"status":{}}',
  );
});
