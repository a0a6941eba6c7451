// The one-pass encoder (encode.ts) against the reference path (fromJSON + protobufjs' generated
// encoder): the same bytes for every kind's Kubernetes fixture, for lists and watch events, and for the
// values with their own rules (negative and 64-bit integers, non-ASCII strings, maps of Times with null,
// inlined structs, string lists, values of the wrong JSON type), plus buffers bigger than the writer's,
// and random objects of every kind (seeded) made from the messages' fields.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { decodeObject, decodeWatchFrame, encodeObject, encodeObjectViaMessages, encodeWatchEvent, encodeWatchEventViaMessages, protobufCodec } from './codec';

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
      expect(decodeWatchFrame(fast)).toEqual(type ? { type, object: obj } : { object: obj });
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

/** A seeded generator of JSON objects shaped like a message, with some values of the wrong JSON type. */
function randomObjects(seed: number) {
  let state = seed;
  const rnd = (): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x80000000;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const strings = ['', 'a', 'héllo wörld', 'x'.repeat(40), '2024-05-06T07:08:09Z', '2024-05-06T07:08:09.123456Z', '10m', '1h2m3s', 'k8s'];
  const numbers = [0, 1, -1, 127, 128, 300, 2 ** 31 - 1, -(2 ** 31), 2 ** 32 + 5, 2 ** 53 - 1, 1.5, -7.25];
  const wrong = (): unknown => pick<unknown>([true, false, 'str', 42, [], {}, null, [1, 'two']]);
  const c = protobufCodec();
  const scalar = (type: string): unknown => {
    if (rnd() < 0.1) return wrong();
    if (type === 'string') return pick(strings);
    if (type === 'bool') return rnd() < 0.5;
    if (type === 'bytes') return Buffer.from(pick(strings)).toString('base64');
    return pick(numbers);
  };
  const value = (t: protobuf.Type | undefined, type: string, depth: number): unknown => {
    if (!t) return scalar(type);
    if (rnd() < 0.05) return wrong();
    const name = t.fullName;
    if (name.endsWith('.Time') || name.endsWith('.MicroTime')) return pick(['2024-05-06T07:08:09Z', '1969-12-31T23:59:59.5Z', '2024-05-06T07:08:09.123456Z', 'bad', '']);
    if (name.endsWith('.Duration')) return pick(['1h2m3.5s', '300ms', 5, '0s']);
    if (name.endsWith('.IntOrString')) return pick<unknown>([80, 'http', '50%', -3]);
    if (name.endsWith('.Quantity')) return pick(['100m', '1Gi', '0', 3]);
    if (name.endsWith('.RawExtension') || name.endsWith('.FieldsV1')) return pick<unknown>([{ 'f:a': {} }, { apiVersion: 'v1', kind: 'X' }, [1, 2], 'text']);
    return object(t, depth + 1);
  };
  const object = (t: protobuf.Type, depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    if (depth > 5) return out;
    for (const f of c.plan(t).byName.values()) {
      if (rnd() < 0.5) continue;
      if (f.json === undefined) {
        if (f.message) Object.assign(out, object(f.message, depth + 1));
        continue;
      }
      const one = (): unknown => (f.stringList ? [pick(strings), pick(strings)] : value(f.message, f.field.type, depth));
      if (f.map) out[f.json] = rnd() < 0.1 ? wrong() : Object.fromEntries(Array.from({ length: Math.floor(rnd() * 3) }, (_, i) => [`k${i}`, rnd() < 0.1 ? null : one()]));
      else if (f.repeated) out[f.json] = rnd() < 0.1 ? wrong() : Array.from({ length: Math.floor(rnd() * 3) }, () => (rnd() < 0.1 ? null : one()));
      else out[f.json] = one();
    }
    return out;
  };
  return (apiVersion: string, kind: string): Record<string, unknown> => ({ apiVersion, kind, ...object(c.typeOf(apiVersion, kind)!, 0) });
}

describe('the one-pass encoder on random objects', () => {
  const kindsOf = kinds.map((base) => {
    const obj = fixture(base);
    return [String(obj.apiVersion), String(obj.kind)] as const;
  });
  it.each([1, 2, 3, 4, 5])('seed %d: every kind writes the bytes of the reference encoder', (seed) => {
    const make = randomObjects(seed);
    for (const [apiVersion, kind] of kindsOf) {
      const obj = make(apiVersion, kind);
      const fast = encodeObject(obj).toString('hex');
      if (fast !== encodeObjectViaMessages(obj).toString('hex')) throw new Error(`${apiVersion} ${kind} differs: ${JSON.stringify(obj)}`);
    }
  });
});
