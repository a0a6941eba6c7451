// The kubelet's gRPC probe (pkg/probe/grpc): grpc.health.v1.Health/Check of the probe's service at the pod
// IP and the probe's port, over plain HTTP/2, within the probe's timeout (the connection and the call
// together); SERVING passes, anything else fails with the kubelet's message.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/health';
import type { HealthClient } from './generated/grpc/health/v1/Health';
import type { HealthCheckResponse__Output } from './generated/grpc/health/v1/HealthCheckResponse';

/** As the CRI protos: snake_case, enums as strings; `npm run gen:health` passes the same flags. */
const LOAD_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true } satisfies protoLoader.Options;

let healthCtor: ProtoGrpcType['grpc']['health']['v1']['Health'] | undefined;

/** The .proto sits beside this file in the source tree; compiled code runs from dist/. */
function healthService(): ProtoGrpcType['grpc']['health']['v1']['Health'] {
  if (healthCtor) return healthCtor;
  const candidates = [path.join(__dirname, 'health.proto'), path.resolve(__dirname, '../../../node-agent/grpc-health/health.proto')];
  const file = candidates.find((p) => fs.existsSync(p));
  if (!file) throw new Error(`health.proto not found (looked in ${candidates.join(', ')})`);
  const root = grpc.loadPackageDefinition(protoLoader.loadSync(file, LOAD_OPTIONS)) as unknown as ProtoGrpcType;
  return (healthCtor = root.grpc.health.v1.Health);
}

export async function grpcHealthProbe(host: string, port: number, service: string, timeoutMs: number): Promise<{ ok: boolean; output: string }> {
  const addr = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const within = `${timeoutMs / 1000}s`;
  const deadline = Date.now() + timeoutMs;
  const Health = healthService();
  const client: HealthClient = new Health(addr, grpc.credentials.createInsecure(), { 'grpc.primary_user_agent': 'kube-probe/1.30' });
  try {
    const connected = await new Promise<Error | undefined>((resolve) => client.waitForReady(deadline, (err) => resolve(err ?? undefined)));
    if (connected) return { ok: false, output: `timeout: failed to connect service "${addr}" within ${within}: context deadline exceeded` };
    const answer = await new Promise<{ err: grpc.ServiceError | null; res?: HealthCheckResponse__Output }>((resolve) =>
      client.Check({ service }, { deadline }, (err, res) => resolve({ err, res })),
    );
    if (answer.err) {
      if (answer.err.code === grpc.status.UNIMPLEMENTED) return { ok: false, output: `this server does not implement the grpc health protocol (grpc.health.v1.Health): ${answer.err.details}` };
      if (answer.err.code === grpc.status.DEADLINE_EXCEEDED) return { ok: false, output: `timeout: health rpc did not complete within ${within}` };
      return { ok: false, output: `error: health rpc probe failed: ${answer.err.message}` };
    }
    const status = answer.res?.status ?? 'UNKNOWN';
    return status === 'SERVING' ? { ok: true, output: 'service healthy' } : { ok: false, output: `service unhealthy (responded with "${status}")` };
  } finally {
    client.close();
  }
}
