// KubeClient with several apiservers (lib/client/client.ts): a request to a server that is gone moves
// to the next (a create never sent is sent again; one cut off after sending is not), watches end with
// the error and the next one goes to the next server, and the list comes from `--server a,b` or from a
// kubeconfig's steer.dev/servers cluster extension (which kubectl ignores: its server is the first).
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Resources } from '../../lib/api/resources';
import { KubeClient } from '../../lib/client/client';
import { kubeconfigYaml, readKubeconfigCredentials } from '../../lib/client/kubeconfig';

/** A stand-in apiserver answering every request with its name; `cut` paths drop the connection unanswered. */
function fakeApiserver(name: string, cut: Set<string> = new Set()): Promise<{ url: string; seen: string[]; server: http.Server }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (cut.has(`${req.method} ${req.url?.split('?')[0]}`)) return req.socket.destroy();
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.includes('watch=true')) return res.write(JSON.stringify({ type: 'ADDED', object: { metadata: { name, resourceVersion: '5' } } }) + '\n');
      res.end(JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name } }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, seen, server })));
}

/** A loopback URL nothing listens on. */
async function deadUrl(): Promise<string> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

test('requests move to the next apiserver when one cannot be reached, and stay there', async () => {
  const b = await fakeApiserver('b');
  servers.push(b.server);
  const client = KubeClient.forServer(`${await deadUrl()},${b.url}`);
  expect(client.servers).toHaveLength(2);
  // A create that was never sent (connection refused) is sent to the next server.
  const created = await client.create<{ metadata: { name: string } }>(Resources.configmaps, 'default', { metadata: { name: 'x' } });
  expect(created.metadata.name).toBe('b');
  expect(client.server.origin).toBe(b.url);
  const got = await client.get<{ metadata: { name: string } }>(Resources.configmaps, 'default', 'x');
  expect(got.metadata.name).toBe('b');
  expect(b.seen).toEqual(['POST /api/v1/namespaces/default/configmaps', 'GET /api/v1/namespaces/default/configmaps/x']);
  client.close();
});

test('a create cut off after it was sent is not repeated elsewhere; a GET is', async () => {
  const a = await fakeApiserver('a', new Set(['POST /api/v1/namespaces/default/configmaps', 'GET /api/v1/namespaces/default/configmaps/y']));
  const b = await fakeApiserver('b');
  servers.push(a.server, b.server);
  const client = KubeClient.forServer(`${a.url},${b.url}`);
  await expect(client.create(Resources.configmaps, 'default', { metadata: { name: 'x' } })).rejects.toThrow(/socket hang up|ECONNRESET/);
  expect(b.seen).toEqual([]);
  // The failed request moved the client on: the next goes to b.
  expect(client.server.origin).toBe(b.url);
  const client2 = KubeClient.forServer(`${a.url},${b.url}`);
  const got = await client2.get<{ metadata: { name: string } }>(Resources.configmaps, 'default', 'y');
  expect(got.metadata.name).toBe('b');
  client.close();
  client2.close();
});

test("a watch on a dead apiserver ends with its error; the next watch goes to the next one", async () => {
  const b = await fakeApiserver('b');
  servers.push(b.server);
  const client = KubeClient.forServer(`${await deadUrl()},${b.url}`);
  const first = await new Promise<Error | undefined>((resolve) => void client.watch(Resources.configmaps, {}, () => undefined, resolve));
  expect((first as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  const names: string[] = [];
  const handle = await client.watch<{ metadata: { name: string } }>(Resources.configmaps, { resourceVersion: '4' }, (e) => names.push(e.object.metadata.name), () => undefined);
  for (let i = 0; i < 100 && !names.length; i++) await new Promise((r) => setTimeout(r, 20));
  handle.stop();
  expect(names).toEqual(['b']);
  expect(b.seen[0]).toMatch(/resourceVersion=4/);
  client.close();
});

test("a kubeconfig's steer.dev/servers extension lists every apiserver; its server is the first", async () => {
  const b = await fakeApiserver('b');
  servers.push(b.server);
  const dead = await deadUrl();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-kc-'));
  try {
    const file = path.join(dir, 'kubeconfig');
    fs.writeFileSync(file, kubeconfigYaml({ server: `${dead},${b.url}` }));
    const creds = readKubeconfigCredentials(file);
    expect(creds.server).toBe(dead);
    expect(creds.servers).toEqual([dead, b.url]);
    // client-node's loader (KubeClient.load) and the direct reader both fail over.
    for (const client of [KubeClient.load({ kubeconfig: file }), KubeClient.fromCredentials(creds)]) {
      expect(client.servers.map((u) => u.origin)).toEqual([dead, b.url]);
      expect((await client.get<{ metadata: { name: string } }>(Resources.configmaps, 'default', 'z')).metadata.name).toBe('b');
      client.close();
    }
    // A --server flag replaces the kubeconfig's list.
    const flagged = KubeClient.load({ kubeconfig: file, server: b.url });
    expect(flagged.servers.map((u) => u.origin)).toEqual([b.url]);
    flagged.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
