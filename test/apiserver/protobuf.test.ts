// The apiserver speaking protobuf over HTTP: a create in protobuf, GET, LIST and WATCH answered in
// protobuf when Accept asks (the same objects as the JSON answers), JSON still the default, and bodies
// of unknown kinds refused with 415.
import * as http from 'node:http';
import { Resources } from '../../lib/api/resources';
import { decodeObject, decodeWatchFrame, encodeObject } from '../../apiserver/protobuf/codec';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

const PB = 'application/vnd.kubernetes.protobuf';
let srv: TestApiServer;
beforeAll(async () => {
  srv = await startTestApiServer();
});
afterAll(() => srv.stop());

function request(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${srv.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'pb', labels: { app: 'pb' } }, spec: { replicas: 2, selector: { matchLabels: { app: 'pb' } }, template: { metadata: { labels: { app: 'pb' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } };

test('create in protobuf, answered in protobuf; GET in protobuf equals GET in JSON', async () => {
  const created = await request('POST', '/apis/apps/v1/namespaces/default/deployments', { 'Content-Type': PB, Accept: `${PB}, application/json` }, encodeObject(deployment));
  expect(created.status).toBe(201);
  expect(created.type).toBe(PB);
  const obj = decodeObject(created.body);
  expect(obj).toMatchObject({ kind: 'Deployment', metadata: { name: 'pb', namespace: 'default', generation: 1 }, spec: { replicas: 2 } });
  const pb = await request('GET', '/apis/apps/v1/namespaces/default/deployments/pb', { Accept: PB });
  const json = await request('GET', '/apis/apps/v1/namespaces/default/deployments/pb', {});
  expect(json.type).toBe('application/json');
  // The same object, except that JSON writes the template's unset creationTimestamp as null (a Go
  // struct) where protobuf has no field at all.
  const fromJson = JSON.parse(json.body.toString()) as { spec: { template: { metadata: Record<string, unknown> } } };
  expect(fromJson.spec.template.metadata.creationTimestamp).toBeNull();
  delete fromJson.spec.template.metadata.creationTimestamp;
  expect(decodeObject(pb.body)).toEqual(fromJson);
});

test('LIST in protobuf', async () => {
  const r = await request('GET', '/apis/apps/v1/namespaces/default/deployments', { Accept: PB });
  expect(r.type).toBe(PB);
  const list = decodeObject(r.body) as { kind: string; metadata: { resourceVersion: string }; items: Array<{ metadata: { name: string } }> };
  expect(list.kind).toBe('DeploymentList');
  expect(list.items.map((i) => i.metadata.name)).toEqual(['pb']);
  expect(Number(list.metadata.resourceVersion)).toBeGreaterThan(0);
});

test('WATCH in protobuf: length-prefixed WatchEvent frames', async () => {
  const frames: Array<{ type: string; object: unknown }> = [];
  await new Promise<void>((resolve, reject) => {
    const req = http.request(`${srv.url}/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=5`, { headers: { Accept: PB } }, (res) => {
      expect(res.headers['content-type']).toBe(`${PB};stream=watch`);
      let buf = Buffer.alloc(0);
      res.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
          const n = buf.readUInt32BE(0);
          frames.push(decodeWatchFrame(buf.subarray(4, 4 + n)));
          buf = buf.subarray(4 + n);
          if (frames.length === 2) {
            req.destroy();
            resolve();
          }
        }
      });
      void srv.client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w' }, data: { a: '1' } }).then(
        () => srv.client.delete(Resources.configmaps, 'default', 'w'),
      );
    });
    req.on('error', (e) => (frames.length === 2 ? undefined : reject(e)));
    req.end();
  });
  expect(frames.map((f) => f.type)).toEqual(['ADDED', 'DELETED']);
  expect(frames[0].object).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w' }, data: { a: '1' } });
});

test('a Table, JSON by default, and 415 for a protobuf body of a kind without a message', async () => {
  const table = await request('GET', '/apis/apps/v1/namespaces/default/deployments', { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
  expect(JSON.parse(table.body.toString()).kind).toBe('Table');
  const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from('0a180a0e6578616d706c652e636f6d2f7631120657696467657412', 'hex'), Buffer.from([0])]);
  const r = await request('POST', '/api/v1/namespaces/default/configmaps', { 'Content-Type': PB }, body);
  expect(r.status).toBe(415);
  expect(JSON.parse(r.body.toString())).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType' });
});
