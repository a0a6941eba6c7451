// sendStoredList (apiserver/handlers/list-body.ts) behind a real HTTP server on a Unix socket: the body a
// client receives is the JSON list, whatever the chunk size, and its length the Content-Length.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { KObj, storedObject, StoredObject } from '../../apiserver/storage/types';
import { LIST_CHUNK_BYTES, sendStoredList } from '../../apiserver/handlers/list-body';

const item = (i: number, size = 10): StoredObject => {
  const obj: KObj = { kind: 'ConfigMap', metadata: { name: `cm-${i}`, resourceVersion: String(i + 1) }, data: { v: 'é'.repeat(size) } };
  return storedObject(i + 1, obj);
};

/** Serves one list with the given chunk size and returns what a client received. */
async function fetchList(items: StoredObject[], chunkBytes: number, head?: string, tail?: string): Promise<{ headers: http.IncomingHttpHeaders; body: string }> {
  return (await fetchLists([items], chunkBytes, head, tail))[0];
}

/**
 * Serves the lists at /0, /1, ... and fetches them all at once. The server listens on a Unix socket,
 * whose small buffers make writes wait for the client, and each client reads only after a pause: so
 * chunks are still queued in the socket while the next ones are filled.
 */
async function fetchLists(lists: StoredObject[][], chunkBytes: number, head = '{"kind":"ConfigMapList","items":[', tail?: string): Promise<Array<{ headers: http.IncomingHttpHeaders; body: string }>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-list-body-'));
  const socketPath = path.join(dir, 'http.sock');
  const server = http.createServer((req, res) => void sendStoredList(res, head, lists[Number(req.url!.slice(1))], chunkBytes, tail));
  await new Promise<void>((r) => server.listen(socketPath, r));
  try {
    return await Promise.all(
      lists.map(
        (_, i) =>
          new Promise<{ headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
            http.get({ socketPath, path: `/${i}`, agent: false }, (res) => {
              const chunks: Buffer[] = [];
              res.pause();
              setTimeout(() => res.resume(), 50);
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }));
            }).on('error', reject);
          }),
      ),
    );
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test.each([
  ['no items', 0, 10, 1 << 20],
  ['one item', 1, 10, 1 << 20],
  ['many items in one chunk', 50, 10, 1 << 20],
  ['chunks smaller than the head', 20, 10, 8],
  ['chunks that end between items', 200, 30, 256],
  ['items larger than a chunk', 30, 400, 200],
  ['a mix of large and small items', 40, 0, 300],
])('%s: the body is the JSON list, its length the Content-Length', async (_name, n, size, chunkBytes) => {
  const items = Array.from({ length: n }, (_, i) => item(i, i % 7 === 3 ? size * 20 : size));
  const { headers, body } = await fetchList(items, chunkBytes);
  expect(Number(headers['content-length'])).toBe(Buffer.byteLength(body));
  const parsed = JSON.parse(body) as { kind: string; items: KObj[] };
  expect(parsed.kind).toBe('ConfigMapList');
  expect(parsed.items).toEqual(items.map((s) => s.obj));
});

// A custom resource's list is written as kube writes a map: keys sorted, so kind and metadata follow the
// items, in a tail that may be longer than a chunk.
test.each([
  ['no items, a tail longer than a chunk', 0, 10, 16],
  ['items, a tail longer than a chunk', 20, 10, 16],
  ['items, chunks ending inside the tail', 30, 25, 300],
  ['one chunk', 5, 10, 1 << 20],
])('a list with a tail after its items (%s) ends with it and a newline', async (_name, n, size, chunkBytes) => {
  const items = Array.from({ length: n }, (_, i) => item(i, size));
  const tail = '],"kind":"WidgetList","metadata":{"continue":"' + 'c'.repeat(40) + '","resourceVersion":"7"}}\n';
  const { headers, body } = await fetchList(items, chunkBytes, '{"apiVersion":"example.com/v1","items":[', tail);
  expect(Number(headers['content-length'])).toBe(Buffer.byteLength(body));
  expect(body.endsWith(tail)).toBe(true);
  const parsed = JSON.parse(body) as { kind: string; items: KObj[] };
  expect(Object.keys(parsed)).toEqual(['apiVersion', 'items', 'kind', 'metadata']);
  expect(parsed.items).toEqual(items.map((s) => s.obj));
});

test('the default tail ends the list with a newline', async () => {
  const { body } = await fetchList([item(1, 10)], 1 << 20);
  expect(body.endsWith(']}\n')).toBe(true);
});

test('big lists sent at the same time, then again, each get their own bytes (reused chunks are never shared)', async () => {
  // Each list spans many default-sized chunks; their items differ so a chunk reused too early shows.
  const lists = [0, 1, 2].map((l) => Array.from({ length: 600 }, (_, i) => item(l * 1000 + i, 1000)));
  expect(lists[0].reduce((n, s) => n + s.bytes.length, 0)).toBeGreaterThan(3 * LIST_CHUNK_BYTES);
  for (let round = 0; round < 2; round++) {
    const got = await fetchLists(lists, LIST_CHUNK_BYTES);
    got.forEach(({ headers, body }, l) => {
      expect(Number(headers['content-length'])).toBe(Buffer.byteLength(body));
      expect((JSON.parse(body) as { items: KObj[] }).items).toEqual(lists[l].map((s) => s.obj));
    });
  }
});

test('a client that goes away mid-body ends the send', async () => {
  const items = Array.from({ length: 2000 }, (_, i) => item(i, 2000));
  let sent: Promise<void> | undefined;
  const server = http.createServer((_req, res) => void (sent = sendStoredList(res, '{"items":[', items, 4096)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', () => undefined);
  });
  await expect(sent).resolves.toBeUndefined();
  await new Promise((r) => server.close(r));
});
