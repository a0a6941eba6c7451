// The protobuf codec against Kubernetes' own fixtures (k8s.io/api testdata/HEAD, copied by
// scripts/k8s-protos.js): every kind's Go-written protobuf decodes to its JSON fixture, and every JSON
// fixture encodes to protobuf that decodes back to the same JSON. Plus Go's JSON rules for zero values.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeObject, decodeObjectViaMessages, decodeWatchEvent, decodeWatchFrame, encodeObject, encodeWatchEvent, formatGoDuration, parseGoDuration, hasProtobufKind, MAX_KINDS_CACHED, protobufCodec } from './codec';

const dir = path.join(__dirname, '../../test/fixtures/k8s-protobuf');
const kinds = fs.readdirSync(dir).filter((f) => f.endsWith('.pb') && f !== 'core.v1.WatchEvent.pb').map((f) => f.slice(0, -3));

describe('protobuf codec against Kubernetes fixtures', () => {
  it('has fixtures for the served groups', () => {
    for (const k of ['apps.v1.Deployment', 'core.v1.Pod', 'core.v1.Service', 'core.v1.Secret', 'batch.v1.Job', 'rbac.authorization.k8s.io.v1.Role', 'coordination.k8s.io.v1.Lease', 'discovery.k8s.io.v1.EndpointSlice']) expect(kinds).toContain(k);
  });
  it.each(kinds)('%s: Go protobuf decodes to the JSON fixture, and JSON round-trips', (base) => {
    const pb = fs.readFileSync(path.join(dir, `${base}.pb`));
    const json = JSON.parse(fs.readFileSync(path.join(dir, `${base}.json`), 'utf8')) as Record<string, unknown>;
    expect(decodeObject(pb)).toEqual(json);
    expect(decodeObject(encodeObject(json))).toEqual(json);
  });
  // The one-pass decoder against the reference path through protobufjs' message objects.
  it.each(kinds)('%s: the direct decoder agrees with protobufjs messages', (base) => {
    const pb = fs.readFileSync(path.join(dir, `${base}.pb`));
    expect(decodeObject(pb)).toEqual(decodeObjectViaMessages(pb));
  });
});

describe('watch events', () => {
  it("decode Kubernetes' WatchEvent fixture (empty typeMeta, a JSON object inside) and round-trip", () => {
    const pb = fs.readFileSync(path.join(dir, 'core.v1.WatchEvent.pb'));
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'core.v1.WatchEvent.json'), 'utf8')) as { type: string; object: Record<string, unknown> };
    expect(decodeWatchEvent(pb)).toEqual(json);
    expect(decodeWatchFrame(encodeWatchEvent(json.type, json.object))).toEqual(json);
  });
  it('frame a bare WatchEvent (the raw stream serializer: client-go reads an envelope as type ""), a built-in object in its own envelope', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', resourceVersion: '7' }, data: { a: 'b' } };
    const ev = encodeWatchEvent('ADDED', cm);
    // Field 1 (type, length-delimited) first: "\n\x05ADDED".
    expect(ev.subarray(0, 7).toString('latin1')).toBe('\n\x05ADDED');
    expect(ev.includes(Buffer.from('k8s\0', 'latin1'))).toBe(true);
    expect(decodeWatchFrame(ev)).toEqual({ type: 'ADDED', object: cm });
  });
});

describe("Go's JSON rules", () => {
  it('keeps a pointer field set to zero, drops omitempty zero values, keeps non-omitempty ones', () => {
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 0, paused: false, minReadySeconds: 0, template: { spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 0 }] }] } } } };
    const back = decodeObject(encodeObject(d));
    expect((back.spec as Record<string, unknown>).replicas).toBe(0);
    expect(back.spec).not.toHaveProperty('paused');
    expect(back.spec).not.toHaveProperty('minReadySeconds');
  });
  it('converts IntOrString, Quantity, bytes and Time', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', creationTimestamp: '2024-05-06T07:08:09Z' }, spec: { ports: [{ port: 80, targetPort: 'http' }, { port: 81, targetPort: 8081 }] } };
    expect(decodeObject(encodeObject(svc))).toEqual(svc);
    const sec = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: Buffer.from('hello').toString('base64') }, type: 'Opaque' };
    expect(decodeObject(encodeObject(sec))).toEqual(sec);
    const lr = { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'l' }, spec: { limits: [{ type: 'Container', max: { cpu: '500m', memory: '1Gi' } }] } };
    expect(decodeObject(encodeObject(lr))).toEqual(lr);
  });
  it("formats durations as Go's time.Duration does", () => {
    expect(formatGoDuration(3_723_500_000_000)).toBe('1h2m3.5s');
    expect(formatGoDuration(300_000_000)).toBe('300ms');
    expect(formatGoDuration(0)).toBe('0s');
    expect(parseGoDuration('1h2m3.5s')).toBe(3_723_500_000_000);
  });
  it('knows every built-in kind and no custom one', () => {
    expect(hasProtobufKind('rbac.authorization.k8s.io/v1', 'ClusterRole')).toBe(true);
    expect(hasProtobufKind('v1', 'DeleteOptions')).toBe(true);
    expect(hasProtobufKind('example.com/v1', 'Widget')).toBe(false);
  });
});

describe('the kind lookup cache', () => {
  it.each([
    ['distinct made-up groups whose package exists (hits)', (i: number) => [`apps.example${i}/v1`, 'Deployment'], true],
    ['distinct unknown kinds (misses)', (i: number) => ['v1', `Nothing${i}`], false],
    ['distinct unknown apiVersions (misses)', (i: number) => [`x${i}.example/v1`, 'Pod'], false],
  ] as Array<[string, (i: number) => [string, string], boolean]>)('stays bounded under %s, and still answers', (_name, lookup, found) => {
    const c = protobufCodec();
    // Past the bound, and not far: a lookup that misses walks protobufjs' whole tree.
    for (let i = 0; i < MAX_KINDS_CACHED + 100; i++) {
      const [apiVersion, kind] = lookup(i);
      expect(c.typeOf(apiVersion, kind) !== undefined).toBe(found);
      expect(c.cachedKinds()).toBeLessThanOrEqual(MAX_KINDS_CACHED);
    }
    // The real kinds are found again after the cache started over.
    expect(c.typeOf('v1', 'Pod')?.name).toBe('Pod');
    expect(c.typeOf('apps/v1', 'Deployment')?.name).toBe('Deployment');
  }, 120_000);
});
