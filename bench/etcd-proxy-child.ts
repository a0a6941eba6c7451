// The floor under an apiserver on etcd, for bench/etcd.ts: a Node process that answers each HTTP write
// with one etcd Txn and nothing else — no routing, authentication, admission, validation, encoding, watch
// or replica. It takes the apiserver's requests (POST of an object to a collection, PUT of an object to
// its name), sends the etcd storage's own Txns with the request body as the value — create:
// create_revision == 0 ? Put : Range; update: mod_revision == the revision it last wrote ? Put : Range —
// and answers with the body. What it adds to the raw Txn is what any HTTP service in front of etcd adds
// on this machine: one more process, an HTTP hop and an event loop; an apiserver cannot beat it.
// Usage (by bench/etcd.ts): node dist/bench/etcd-proxy-child.js <etcd endpoint,...>; prints `serving on <url>`.
import * as http from 'node:http';
import { EtcdClient } from '../apiserver';

const client = new EtcdClient({ endpoints: process.argv[2].split(',') });
/** The revision each key was last written at by this process (the update's compare). */
const revisions = new Map<string, number>();

function answer(res: http.ServerResponse, code: number, body: Buffer | string): void {
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function write(method: string, url: string, body: Buffer): Promise<number> {
  if (method === 'POST') {
    const name = (JSON.parse(body.toString('utf8')) as { metadata: { name: string } }).metadata.name;
    const k = Buffer.from(`/bench/proxy${url}/${name}`);
    const r = await client.txn({ compare: [{ key: k, target: 'CREATE', result: 'EQUAL', create_revision: 0 }], success: [{ request_put: { key: k, value: body } }], failure: [{ request_range: { key: k } }] });
    if (!r.succeeded) return 409;
    revisions.set(k.toString(), Number(r.header?.revision));
    return 201;
  }
  if (method === 'PUT') {
    const k = Buffer.from(`/bench/proxy${url}`);
    const rev = revisions.get(k.toString());
    if (rev === undefined) return 404;
    const r = await client.txn({ compare: [{ key: k, target: 'MOD', result: 'EQUAL', mod_revision: rev }], success: [{ request_put: { key: k, value: body } }], failure: [{ request_range: { key: k } }] });
    if (!r.succeeded) return 409;
    revisions.set(k.toString(), Number(r.header?.revision));
    return 200;
  }
  return 405;
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    write(req.method ?? '', req.url ?? '', body).then(
      (code) => answer(res, code, code < 300 ? body : `{"code":${code}}`),
      (err: Error) => answer(res, 500, JSON.stringify({ message: err.message })),
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const a = server.address() as { port: number };
  process.stderr.write(`serving on http://127.0.0.1:${a.port}\n`);
});
process.on('SIGTERM', () => {
  client.close();
  process.exit(0);
});
