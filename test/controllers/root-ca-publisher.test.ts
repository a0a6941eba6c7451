// The root CA publisher in the controller manager against a real apiserver: every namespace, old and
// new, gets kube-root-ca.crt with the bundle from --root-ca-file; a changed or deleted copy is put back.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConfigMap } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { RunningControllers, startControllers } from '../../controllers/manager';
import { Description } from '../../controllers/root-ca-publisher';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { waitFor } from '../helpers/wait';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBdummyCAforTheTest\n-----END CERTIFICATE-----\n';
let api: TestApiServer;
let controllers: RunningControllers;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-rootca-'));
  fs.writeFileSync(path.join(dir, 'ca.crt'), PEM);
  api = await startTestApiServer();
  controllers = await startControllers({ client: api.client, controllers: ['root-ca-cert-publisher'], rootCAFile: path.join(dir, 'ca.crt'), log: () => undefined });
});
afterAll(async () => {
  await controllers?.stop();
  await api?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const published = (ns: string) =>
  waitFor(`kube-root-ca.crt in ${ns}`, async () => {
    const cm = await api.client.get<ConfigMap>(Resources.configmaps, ns, 'kube-root-ca.crt');
    return cm.data?.['ca.crt'] === PEM && cm.metadata?.annotations?.['kubernetes.io/description'] === Description ? cm : undefined;
  });

test('every namespace gets kube-root-ca.crt, new ones too', async () => {
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) await published(ns);
  await api.client.create(Resources.namespaces, undefined, { metadata: { name: 'late' } });
  const cm = await published('late');
  expect(Object.keys(cm.data ?? {})).toEqual(['ca.crt']);
});

test('a changed or deleted copy is put back', async () => {
  const cm = await published('default');
  await api.client.update<ConfigMap>(Resources.configmaps, { ...cm, data: { 'ca.crt': 'tampered' } });
  await published('default');
  const before = await published('kube-public');
  await api.client.delete(Resources.configmaps, 'kube-public', 'kube-root-ca.crt');
  const after = await published('kube-public');
  expect(after.metadata?.uid).not.toBe(before.metadata?.uid);
});
