// The gRPC probe against real gRPC servers on loopback: serving, not serving, an unknown service, a server
// without the health service, nothing listening, and a check slower than the timeout — the kubelet's answers.
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/health';
import type { HealthHandlers } from './generated/grpc/health/v1/Health';
import { grpcHealthProbe } from './probe';
import { DefaultProber } from '../probes';
import { FakeRuntime } from '../runtime/fake-runtime';

const root = grpc.loadPackageDefinition(protoLoader.loadSync(path.join(__dirname, 'health.proto'), { keepCase: true, enums: String, defaults: true })) as unknown as ProtoGrpcType;

async function serve(add: (s: grpc.Server) => void): Promise<{ port: number; server: grpc.Server }> {
  const server = new grpc.Server();
  add(server);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { port, server };
}

const servers: grpc.Server[] = [];
let healthPort: number;
let plainPort: number;
let agents: string[] = [];
beforeAll(async () => {
  const statuses: Record<string, string> = { '': 'SERVING', db: 'NOT_SERVING' };
  const handlers: HealthHandlers = {
    Check: (call, cb) => {
      agents.push(String(call.metadata.get('user-agent')[0]));
      if (call.request.service === 'slow') return void setTimeout(() => cb(null, { status: 'SERVING' }), 1500);
      const status = statuses[call.request.service];
      if (!status) return cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
      cb(null, { status: status as 'SERVING' });
    },
    Watch: (call) => call.end(),
  };
  const health = await serve((s) => s.addService(root.grpc.health.v1.Health.service, handlers));
  const plain = await serve(() => undefined);
  servers.push(health.server, plain.server);
  healthPort = health.port;
  plainPort = plain.port;
});
afterAll(() => {
  for (const s of servers) s.forceShutdown();
});

test.each([
  ['the server as a whole, serving', () => healthPort, '', true, 'service healthy'],
  ['a service not serving', () => healthPort, 'db', false, 'service unhealthy (responded with "NOT_SERVING")'],
  ['an unknown service', () => healthPort, 'nope', false, 'error: health rpc probe failed: 5 NOT_FOUND: unknown service'],
  ['a server without the health service', () => plainPort, '', false, /^this server does not implement the grpc health protocol \(grpc\.health\.v1\.Health\): /],
  ['a check slower than the timeout', () => healthPort, 'slow', false, 'timeout: health rpc did not complete within 1s'],
])('%s', async (_, port, service, ok, output) => {
  const r = await grpcHealthProbe('127.0.0.1', port(), service, 1000);
  expect(r.ok).toBe(ok);
  if (typeof output === 'string') expect(r.output).toBe(output);
  else expect(r.output).toMatch(output);
});

test('nothing listening: the connection times out within the probe timeout', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = new grpc.Server();
    s.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (_e, p) => s.tryShutdown(() => resolve(p)));
  });
  const t0 = Date.now();
  const r = await grpcHealthProbe('127.0.0.1', port, '', 500);
  expect(Date.now() - t0).toBeLessThan(1500);
  expect(r).toEqual({ ok: false, output: `timeout: failed to connect service "127.0.0.1:${port}" within 0.5s: context deadline exceeded` });
});

test("the default prober runs a probe's grpc handler at the pod IP, as kube-probe", async () => {
  agents = [];
  const prober = new DefaultProber(new FakeRuntime());
  const target = { pod: { metadata: { name: 'p' } }, container: { name: 'c' }, containerId: 'x', podIP: '127.0.0.1' };
  expect(await prober.run('liveness', { grpc: { port: healthPort } }, target)).toEqual({ ok: true, output: 'service healthy' });
  expect(await prober.run('readiness', { grpc: { port: healthPort, service: 'db' } }, target)).toMatchObject({ ok: false });
  expect(agents[0]).toMatch(/^kube-probe\/1\.30/);
});
