// The one-pass encoder (encode.ts) against the reference path (fromJSON + protobufjs' generated
// encoder): the same bytes for every kind's Kubernetes fixture, for lists and watch events, and for the
// values with their own rules (negative and 64-bit integers, non-ASCII strings, maps of Times with null,
// inlined structs, string lists, values of the wrong JSON type), plus buffers bigger than the writer's.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeObject, decodeWatchEvent, encodeObject, encodeObjectViaMessages, encodeWatchEvent, encodeWatchEventViaMessages } from './codec';

const dir = path.join(__dirname, '../../test/fixtures/k8s-protobuf');
const kinds = fs.readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'core.v1.WatchEvent.json').map((f) => f.slice(0, -5));
type Json = Record<string, unknown>;
const fixture = (base: string): Json => JSON.parse(fs.readFileSync(path.join(dir, `${base}.json`), 'utf8')) as Json;

const sameBytes = (obj: Json): void => expect(encodeObject(obj).equals(encodeObjectViaMessages(obj))).toBe(true);

describe('the one-pass protobuf encoder', () => {
  it.each(kinds)('%s: writes the bytes of the reference encoder', (base) => {
    const obj = fixture(base);
    const fast = encodeObject(obj);
    expect(fast.toString('hex')).toBe(encodeObjectViaMessages(obj).toString('hex'));
    expect(decodeObject(fast)).toEqual(obj);
  });

  it('writes lists of many kinds and sizes, past its buffer, as the reference does', () => {
    const pod = fixture('core.v1.Pod');
    const items = Array.from({ length: 600 }, (_, i) => ({ ...pod, metadata: { ...(pod.metadata as Json), name: `pod-${i}` } }));
    const list = { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '42', continue: 'abc', remainingItemCount: 7 }, items };
    const fast = encodeObject(list);
    expect(fast.length).toBeGreaterThan(1024 * 1024); // bigger than the buffer kept between encodings
    expect(fast.equals(encodeObjectViaMessages(list))).toBe(true);
    // The writer starts afresh after handing a big buffer out.
    sameBytes(fixture('apps.v1.Deployment'));
  });

  it('writes watch events with built-in and custom objects as the reference does', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', resourceVersion: '7' }, data: { a: 'b' } };
    const cr = { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'x' }, spec: { cronSpec: '* * * * *' } };
    for (const [type, obj] of [['ADDED', cm], ['DELETED', cr], ['', cm]] as const) {
      const fast = encodeWatchEvent(type, obj);
      expect(fast.toString('hex')).toBe(encodeWatchEventViaMessages(type, obj).toString('hex'));
      // An empty type is Go's omitted field.
      expect(decodeWatchEvent(fast)).toEqual(type ? { type, object: obj } : { object: obj });
    }
  });

  it('writes integers, strings and special values as the reference does', () => {
    sameBytes({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'ünïcödé-名前',
        generation: 2 ** 40 + 3,
        deletionGracePeriodSeconds: -30,
        creationTimestamp: '1960-01-02T03:04:05Z',
        deletionTimestamp: 'not a time',
        labels: { a: 'x', 'b/c': '' },
        annotations: { long: 'y'.repeat(70_000) },
        managedFields: [{ manager: 'm', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:x': {} } }, time: '2024-01-01T00:00:00Z' }],
      },
      spec: {
        priority: -1,
        activeDeadlineSeconds: 5_000_000_000,
        terminationGracePeriodSeconds: '17',
        hostNetwork: 'yes',
        nodeSelector: { zone: 5 },
        containers: [
          {
            name: 'c',
            image: 'i',
            ports: [{ containerPort: 80 }, null, { containerPort: 0, hostIP: '' }],
            resources: { limits: { cpu: '1.5', memory: 1024 } },
            readinessProbe: { httpGet: { port: 'http', path: '/' }, periodSeconds: 3 },
            livenessProbe: { tcpSocket: { port: 8080 } },
            securityContext: { capabilities: { add: ['NET_ADMIN'], drop: [] } },
          },
        ],
        volumes: [{ name: 'v', configMap: { name: 'cm', items: [{ key: 'k', path: 'p' }] } }, { name: 'e', emptyDir: {} }],
        securityContext: { supplementalGroups: [1, 2 ** 33, -4] },
        overhead: 'not an object',
      },
      status: { startTime: '2024-05-06T07:08:09.123456Z', conditions: 'not a list', containerStatuses: [] },
    });
  });

  it('writes maps of Times with null, string lists and microseconds as the reference does', () => {
    sameBytes({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      metadata: { name: 't' },
      spec: { token: 'abc', audiences: ['a', 'b'] },
      status: { user: { username: 'u', groups: ['g'], extra: { scopes: ['x', 'y'], empty: [], odd: 'z' } }, authenticated: true },
    });
    sameBytes({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l' }, spec: { holderIdentity: 'h', renewTime: '2024-05-06T07:08:09.123456Z', leaseDurationSeconds: 15 } });
    sameBytes({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'p' }, spec: { minAvailable: '50%' }, status: { disruptedPods: { a: '2024-05-06T07:08:09Z', b: null }, currentHealthy: 0 } });
    sameBytes({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, status: { lastScheduleTime: null, active: [] } });
    sameBytes({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' }, eventTime: '2024-05-06T07:08:09.000001Z', series: { count: 2, lastObservedTime: '2024-05-06T07:08:09.5Z' } });
    sameBytes({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: Buffer.from('hello').toString('base64'), n: 7 }, type: 'Opaque' });
  });
});
