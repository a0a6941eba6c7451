// gzip of answers larger than 128 KiB for clients that accept it, as kube-apiserver's
// APIResponseCompression: big LISTs (the streamed body) and big single objects, never small answers,
// never for a client without a bare `gzip` token in Accept-Encoding.
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import { CoreV1Api } from '@kubernetes/client-node';
import { Resources } from '../../lib/api/resources';
import { GZIP_THRESHOLD_BYTES } from '../../apiserver/handlers/compression';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A GET with exactly the headers given (node:http adds no Accept-Encoding of its own), body as sent. */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('response compression', () => {
  let srv: TestApiServer;
  const NS = 'default';
  beforeAll(async () => {
    srv = await startTestApiServer();
    // 200 ConfigMaps of about 1 KiB each: a LIST of about 200 KiB, past the threshold.
    const value = 'x'.repeat(1024);
    for (let i = 0; i < 200; i++) await srv.client.create(Resources.configmaps, NS, { metadata: { name: `big-${i}`, labels: { set: 'big' } }, data: { value } });
    await srv.client.create(Resources.configmaps, NS, { metadata: { name: 'huge' }, data: { value: 'y'.repeat(GZIP_THRESHOLD_BYTES + 1000) } });
  });
  afterAll(async () => {
    await srv.stop();
  });

  const listUrl = () => `${srv.url}/api/v1/namespaces/${NS}/configmaps?labelSelector=set%3Dbig`;

  test('a big LIST is gzip-encoded for a client that accepts gzip, and decodes to the same bytes', async () => {
    const plain = await rawGet(listUrl());
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(Number(plain.headers['content-length'])).toBe(plain.body.length);
    expect(plain.body.length).toBeGreaterThan(GZIP_THRESHOLD_BYTES);

    const gz = await rawGet(listUrl(), { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(gz.status).toBe(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('Accept-Encoding');
    expect(gz.headers['content-type']).toBe('application/json');
    expect(gz.body.length).toBeLessThan(plain.body.length / 5);
    const decoded = zlib.gunzipSync(gz.body);
    expect(decoded.equals(plain.body)).toBe(true);
    expect((JSON.parse(decoded.toString()) as { items: unknown[] }).items).toHaveLength(200);
  });

  test('a big single object is gzip-encoded too, with its length', async () => {
    const gz = await rawGet(`${srv.url}/api/v1/namespaces/${NS}/configmaps/huge`, { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(Number(gz.headers['content-length'])).toBe(gz.body.length);
    const obj = JSON.parse(zlib.gunzipSync(gz.body).toString()) as { data: { value: string } };
    expect(obj.data.value).toHaveLength(GZIP_THRESHOLD_BYTES + 1000);
  });

  test('small answers and clients without a bare gzip token get the body as it is', async () => {
    const small = await rawGet(`${srv.url}/api/v1/namespaces/${NS}/configmaps/big-1`, { 'Accept-Encoding': 'gzip' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.body.toString()).metadata.name).toBe('big-1');
    // kube's negotiateContentEncoding matches the trimmed token `gzip` only.
    for (const header of ['gzip;q=1.0', 'deflate', 'br', 'identity']) {
      const res = await rawGet(listUrl(), { 'Accept-Encoding': header });
      expect([header, res.headers['content-encoding']]).toEqual([header, undefined]);
      expect(JSON.parse(res.body.toString()).items).toHaveLength(200);
    }
  });

  test('the clients people use decode it: client-node and fetch', async () => {
    const core = srv.kubeConfig.makeApiClient(CoreV1Api);
    const list = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'set=big' });
    expect(list.items).toHaveLength(200);
    expect(list.items[0].data?.value).toHaveLength(1024);
    const viaFetch = (await (await fetch(listUrl())).json()) as { items: unknown[] };
    expect(viaFetch.items).toHaveLength(200);
  });
});
