// The apiserver on an etcd that serves TLS and demands client certificates (as production etcd does):
// --etcd-servers https://…, --etcd-cafile, --etcd-certfile, --etcd-keyfile. Certificates are made here
// with openssl; the member is Debian's etcd, started on free ports and stopped by PID.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConfigMap } from 'kubernetes-types/core/v1';
import { RunningApiServer, startApiServer } from '../../apiserver';
import { EtcdStorage } from '../../apiserver/storage/etcd/storage';
import { KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { freePort } from '../helpers/etcd';
import { waitFor } from '../helpers/wait';

let dir: string;
let etcd: ChildProcess | undefined;
let endpoint: string;
const file = (name: string) => path.join(dir, name);

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A certificate signed by the test CA, for the given uses (serverAuth, clientAuth). */
function signed(name: string, usage: string): void {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  fs.writeFileSync(file(`${name}.ext`), `subjectAltName=IP:127.0.0.1\nextendedKeyUsage=${usage}\n`);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`]);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-etcd-tls-'));
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=steer-test-ca', '-days', '1']);
  signed('server', 'serverAuth,clientAuth');
  signed('client', 'clientAuth');
  const [client, peer] = [await freePort(), await freePort()];
  endpoint = `https://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const log = fs.openSync(file('etcd.log'), 'a');
  etcd = spawn(
    '/usr/bin/etcd',
    [
      '--name', 'tls', '--data-dir', file('data'),
      '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `tls=${peerUrl}`,
      '--cert-file', file('server.crt'), '--key-file', file('server.key'), '--client-cert-auth', '--trusted-ca-file', file('ca.crt'),
      '--logger', 'zap', '--log-outputs', 'stderr',
    ],
    { stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
});

afterAll(async () => {
  if (etcd && etcd.exitCode === null) {
    const exited = new Promise((r) => etcd!.once('exit', r));
    etcd.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('an apiserver with --etcd-cafile/--etcd-certfile/--etcd-keyfile stores and reads through TLS', async () => {
  const server: RunningApiServer = await waitFor('etcd to serve TLS', () =>
    startApiServer({ port: 0, storage: 'etcd', etcdServers: [endpoint], etcdCAFile: file('ca.crt'), etcdCertFile: file('client.crt'), etcdKeyFile: file('client.key'), etcdCompactionIntervalMs: 0 }),
    20_000,
    200,
  );
  const client = KubeClient.forServer(server.url);
  try {
    const created = await client.create<ConfigMap>(Resources.configmaps, 'default', { metadata: { name: 'secret-path' }, data: { a: '1' } });
    expect((await client.get<ConfigMap>(Resources.configmaps, 'default', 'secret-path')).metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
  } finally {
    client.close();
    await server.close();
  }
});

test('without a client certificate, or trusting another CA, etcd is not reached', async () => {
  const ca = fs.readFileSync(file('ca.crt'));
  await expect(EtcdStorage.open({ endpoints: [endpoint], tls: { ca }, timeoutMs: 3000, compactionIntervalMs: 0, log: () => undefined })).rejects.toThrow();
  await expect(
    EtcdStorage.open({ endpoints: [endpoint], tls: { cert: fs.readFileSync(file('client.crt')), key: fs.readFileSync(file('client.key')) }, timeoutMs: 3000, compactionIntervalMs: 0, log: () => undefined }),
  ).rejects.toThrow();
});
