// kube-apiserver's wire, measured (issue 17). Against one in-process apiserver (in-memory storage, plain
// HTTP, keep-alive, one request at a time):
//   protobuf: create p50/p99 of a Deployment sent and answered in application/vnd.kubernetes.protobuf
//             next to the same create in JSON (goal: protobuf <= 1x JSON), alternating rounds;
//   ssa:      server-side apply (PATCH application/apply-patch+yaml, the whole configuration) of a
//             Deployment changing its replicas, next to a strategic-merge patch of the same change
//             (goal: SSA p50 <= 2x the strategic-merge patch), alternating rounds;
// each next to a floor measured in the same run: a trivial Node HTTP server answering the same bytes.
//
// Usage: npm run build && node dist/bench/wire.js [--creates 300] [--rounds 5] [--only protobuf,ssa]
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeProtobufObject, protobufCodec, startApiServer } from '../apiserver';

interface Options {
  creates: number;
  rounds: number;
  only?: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { creates: 300, rounds: 5 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (key === 'only') o.only = argv[i + 1].split(',');
    else if (key === 'creates' || key === 'rounds') o[key] = Number(argv[i + 1]);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return o;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function send(base: string, method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<{ ms: number; status: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(`${base}${path}`, { method, headers: { ...headers, 'Content-Length': String(body.length) }, agent }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (xs: number[]): string => `p50 ${pct(xs, 50).toFixed(2)} ms  p99 ${pct(xs, 99).toFixed(2)} ms`;

export function deployment(name: string): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
      },
    },
  };
}

/** A server that answers every request with the given bytes: what any Node HTTP exchange costs. */
async function floorServer(answer: (req: http.IncomingMessage) => Buffer): Promise<{ url: string; close(): void }> {
  const srv = http.createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      const b = answer(req);
      res.writeHead(201, { 'Content-Type': 'application/octet-stream', 'Content-Length': b.length });
      res.end(b);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, close: () => srv.close() };
}

/** The floor's latencies: as many requests as the measured side made, a Deployment's JSON each way. */
async function measureFloor(o: Options, method: string): Promise<number[]> {
  const body = Buffer.from(JSON.stringify(deployment('floor')));
  const floor = await floorServer(() => body);
  const fl: number[] = [];
  for (let i = 0; i < o.creates * o.rounds; i++) fl.push((await send(floor.url, method, '/', { 'Content-Type': 'application/json' }, body)).ms);
  floor.close();
  return fl;
}

async function benchProtobuf(o: Options): Promise<void> {
  const PB = 'application/vnd.kubernetes.protobuf';
  protobufCodec(); // parse the .proto files before timing
  const server = await startApiServer({ host: '127.0.0.1', port: 0 });
  const path = '/apis/apps/v1/namespaces/default/deployments';
  const json: number[] = [];
  const pb: number[] = [];
  let n = 0;
  const sample = await send(server.url, 'POST', path, { 'Content-Type': 'application/json' }, Buffer.from(JSON.stringify(deployment('sample'))));
  if (sample.status !== 201) throw new Error(`create answered ${sample.status}`);
  // Warm-up, then alternating rounds; bodies are encoded before the clock starts.
  for (let round = -1; round < o.rounds; round++) {
    for (const enc of ['json', 'protobuf'] as const) {
      const bodies = Array.from({ length: o.creates }, () => {
        const d = deployment(`d${n++}`);
        return enc === 'json' ? Buffer.from(JSON.stringify(d)) : encodeProtobufObject(d);
      });
      const headers = enc === 'json' ? { 'Content-Type': 'application/json', Accept: 'application/json' } : { 'Content-Type': PB, Accept: `${PB}, application/json` };
      for (const body of bodies) {
        const r = await send(server.url, 'POST', path, headers, body);
        if (r.status !== 201) throw new Error(`create answered ${r.status}`);
        if (round >= 0) (enc === 'json' ? json : pb).push(r.ms);
      }
    }
  }
  await server.close();
  const fl = await measureFloor(o, 'POST');
  const ratio = pct(pb, 50) / pct(json, 50);
  console.log(`protobuf create of a Deployment (${o.rounds} rounds x ${o.creates}, alternating with JSON)`);
  console.log(`  JSON      ${fmt(json)}`);
  console.log(`  protobuf  ${fmt(pb)}   p50 ratio ${ratio.toFixed(2)}x (goal <= 1x)`);
  console.log(`  floor     ${fmt(fl)}   (trivial Node HTTP server, same client and bytes)`);
}

async function benchApply(o: Options): Promise<void> {
  const server = await startApiServer({ host: '127.0.0.1', port: 0 });
  const base = '/apis/apps/v1/namespaces/default/deployments';
  const ssa: number[] = [];
  const smp: number[] = [];
  for (const name of ['ssa', 'smp']) {
    const r = await send(server.url, 'PATCH', `${base}/${name}?fieldManager=bench`, { 'Content-Type': 'application/apply-patch+yaml' }, Buffer.from(JSON.stringify(deployment(name))));
    if (r.status !== 201) throw new Error(`apply create answered ${r.status}`);
  }
  let replicas = 3;
  for (let round = -1; round < o.rounds; round++) {
    for (const kind of ['ssa', 'smp'] as const) {
      for (let i = 0; i < o.creates; i++) {
        replicas = replicas === 3 ? 4 : 3;
        const r =
          kind === 'ssa'
            ? await send(server.url, 'PATCH', `${base}/ssa?fieldManager=bench`, { 'Content-Type': 'application/apply-patch+yaml' }, Buffer.from(JSON.stringify({ ...deployment('ssa'), spec: { ...(deployment('ssa').spec as object), replicas } })))
            : await send(server.url, 'PATCH', `${base}/smp?fieldManager=bench`, { 'Content-Type': 'application/strategic-merge-patch+json' }, Buffer.from(JSON.stringify({ spec: { replicas } })));
        if (r.status !== 200) throw new Error(`${kind} answered ${r.status}`);
        if (round >= 0) (kind === 'ssa' ? ssa : smp).push(r.ms);
      }
    }
  }
  await server.close();
  const fl = await measureFloor(o, 'PATCH');
  console.log(`server-side apply of a Deployment's replicas (${o.rounds} rounds x ${o.creates}, alternating with a strategic-merge patch)`);
  console.log(`  strategic merge  ${fmt(smp)}`);
  console.log(`  server-side      ${fmt(ssa)}   p50 ratio ${(pct(ssa, 50) / pct(smp, 50)).toFixed(2)}x (goal <= 2x)`);
  console.log(`  floor            ${fmt(fl)}   (trivial Node HTTP server, same client and bytes)`);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const want = (part: string) => !o.only || o.only.includes(part);
  if (want('protobuf')) await benchProtobuf(o);
  if (want('ssa')) await benchApply(o);
  agent.destroy();
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
