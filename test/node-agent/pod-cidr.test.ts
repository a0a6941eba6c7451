// --pod-cidr: the node agent registers its pod CIDR as the Node's spec.podCIDR/podCIDRs (fresh Node,
// and a Node that exists with another CIDR); a malformed CIDR is refused before anything starts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Node } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { FakeRuntime } from '../../node-agent/runtime/fake-runtime';
import { startNodeAgent } from '../../node-agent/start';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

let api: TestApiServer;
let stateDir: string;

const start = (nodeName: string, podCIDR?: string) =>
  startNodeAgent({
    client: api.client,
    nodeName,
    runtime: new FakeRuntime(),
    stateDir,
    cgroupFs: false,
    address: '127.0.0.1',
    serve: false,
    podCIDR,
    log: () => undefined,
  });

beforeAll(async () => {
  api = await startTestApiServer();
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-pod-cidr-'));
});

afterAll(async () => {
  await api?.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

test('a new Node gets spec.podCIDR and podCIDRs; a restart with another CIDR updates them', async () => {
  let agent = await start('cidr-node', '10.88.1.0/24');
  let node = await api.client.get<Node>(Resources.nodes, undefined, 'cidr-node');
  expect(node.spec).toMatchObject({ podCIDR: '10.88.1.0/24', podCIDRs: ['10.88.1.0/24'] });
  await agent.stop();

  agent = await start('cidr-node', '10.88.7.0/24');
  node = await api.client.get<Node>(Resources.nodes, undefined, 'cidr-node');
  expect(node.spec).toMatchObject({ podCIDR: '10.88.7.0/24', podCIDRs: ['10.88.7.0/24'] });
  await agent.stop();

  // Without --pod-cidr the registered CIDR is left as it is.
  agent = await start('cidr-node');
  node = await api.client.get<Node>(Resources.nodes, undefined, 'cidr-node');
  expect(node.spec?.podCIDR).toBe('10.88.7.0/24');
  await agent.stop();
});

test('no --pod-cidr: no podCIDR on the Node', async () => {
  const agent = await start('plain-node');
  const node = await api.client.get<Node>(Resources.nodes, undefined, 'plain-node');
  expect(node.spec?.podCIDR).toBeUndefined();
  await agent.stop();
});

test.each(['10.88.1.0/33', '10.88.1.5/24', 'fd00::/64', 'nonsense'])('pod CIDR %j is refused with a clear error', async (cidr) => {
  await expect(start('bad-node', cidr)).rejects.toThrow(`invalid pod CIDR "${cidr}"`);
  await expect(api.client.get(Resources.nodes, undefined, 'bad-node')).rejects.toThrow();
});
