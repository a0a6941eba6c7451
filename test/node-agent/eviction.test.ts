// Node-pressure eviction on the fake runtime against a real in-process apiserver, with the node's
// signals injected: memory below the hard threshold → MemoryPressure on the Node and, from the node
// lifecycle controller, the memory-pressure NoSchedule taint; the pod using the most memory above its
// request is evicted first (Failed, reason Evicted, kube's message, DisruptionTarget TerminationByKubelet,
// an Evicted event, its container stopped), then the next pass's; a critical pod never; memory back →
// the condition and the taint go after the transition period.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Event as CoreEvent, Node, Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { type RunningControllers, startControllers } from '../../controllers/manager';
import { parseThresholds, type Observations } from '../../node-agent/eviction/thresholds';
import { FakeRuntime } from '../../node-agent/runtime/fake-runtime';
import { type RunningNodeAgent, startNodeAgent } from '../../node-agent/start';
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver';
import { waitForWithin } from '../helpers/wait';

const waitFor = waitForWithin(15_000);
const Mi = 1024 * 1024;
const nodeName = 'eviction-node';

let api: TestApiServer;
let runtime: FakeRuntime;
let agent: RunningNodeAgent;
let ctl: RunningControllers;
let stateDir: string;
let memoryAvailable = 900 * Mi;

beforeAll(async () => {
  api = await startTestApiServer();
  runtime = new FakeRuntime({ images: ['busybox:1.35'] });
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-eviction-test-'));
  const observe = (): Observations => ({ 'memory.available': { available: memoryAvailable, capacity: 1024 * Mi } });
  agent = await startNodeAgent({
    client: api.client,
    nodeName,
    runtime,
    stateDir,
    cgroupFs: false,
    address: '127.0.0.1',
    port: 0,
    relistIntervalMs: 50,
    log: () => undefined,
    // Driven by the test: one pass per synchronize() call (the interval is left long).
    eviction: { hard: parseThresholds('memory.available<100Mi', true), pressureTransitionPeriodMs: 1000, monitoringIntervalMs: 3_600_000, observe },
  });
  ctl = await startControllers({ client: api.client, controllers: ['node-lifecycle'], leaderElect: false, nodeLifecycle: { nodeMonitorPeriodMs: 100 }, log: () => undefined });
}, 60_000);

afterAll(async () => {
  await ctl?.stop();
  await agent?.stop();
  await api?.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

const getPod = (name: string) => api.client.get<Pod>(Resources.pods, 'default', name);
const getNode = () => api.client.get<Node>(Resources.nodes, undefined, nodeName);
const condition = (n: Node, type: string) => n.status?.conditions?.find((c) => c.type === type);

async function runPod(name: string, spec: Partial<NonNullable<Pod['spec']>> = {}, memoryBytes = 10 * Mi): Promise<void> {
  runtime.setUsage({ milliCores: 10, memoryBytes }, { namespace: 'default', name });
  await api.client.create(Resources.pods, 'default', {
    metadata: { name, namespace: 'default' },
    spec: { nodeName, terminationGracePeriodSeconds: 30, containers: [{ name: 'app', image: 'busybox:1.35' }], ...spec },
  } as Pod);
  await waitFor(`${name} Running`, async () => (await getPod(name)).status?.phase === 'Running');
}

it('memory pressure: the condition and taint come, pods are evicted in kube order (never a critical one), and both go once memory is back', async () => {
  const manager = agent.agent.evictionManager!;
  await runPod('hog', {}, 300 * Mi);
  await runPod('within', { containers: [{ name: 'app', image: 'busybox:1.35', resources: { requests: { memory: '200Mi' }, limits: { memory: '200Mi', cpu: '1' } } }] }, 150 * Mi);
  await runPod('critical', { priority: 2_000_000_000 }, 900 * Mi);
  expect(await manager.synchronize(Date.now())).toBeUndefined();
  expect(condition(await getNode(), 'MemoryPressure')?.status).toBe('False');

  memoryAvailable = 50 * Mi;
  const first = await manager.synchronize(Date.now());
  expect(first?.metadata?.name).toBe('hog');
  const node = await waitFor('MemoryPressure True', async () => {
    const n = await getNode();
    return condition(n, 'MemoryPressure')?.status === 'True' && n;
  });
  expect(condition(node, 'MemoryPressure')).toMatchObject({ reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available' });
  await waitFor('the memory-pressure taint', async () => ((await getNode()).spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/memory-pressure' && t.effect === 'NoSchedule'));

  const evicted = await waitFor('hog Failed', async () => {
    const p = await getPod('hog');
    return p.status?.phase === 'Failed' && p;
  });
  const message = 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container app was using 300Mi, request is 0, has larger consumption of memory. ';
  expect(evicted.status?.reason).toBe('Evicted');
  expect(evicted.status?.message).toBe(message);
  expect(evicted.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'TerminationByKubelet', message });
  await waitFor('hog stopped', async () => !!(await getPod('hog')).status?.containerStatuses?.[0].state?.terminated);
  await waitFor('the Evicted event', async () => (await api.client.list<CoreEvent>(Resources.events, { namespace: 'default' })).items.some((e) => e.involvedObject.name === 'hog' && e.reason === 'Evicted' && e.type === 'Warning'));

  // Still short of memory: the next pass takes the next pod, never the critical one.
  expect((await manager.synchronize(Date.now()))?.metadata?.name).toBe('within');
  await waitFor('within Failed', async () => (await getPod('within')).status?.phase === 'Failed');
  expect(await manager.synchronize(Date.now())).toBeUndefined();
  expect((await getPod('critical')).status?.phase).toBe('Running');

  // Memory back: the condition holds for the transition period (1 s here), then goes, and the taint with it.
  memoryAvailable = 900 * Mi;
  await manager.synchronize(Date.now());
  expect(condition(await getNode(), 'MemoryPressure')?.status).toBe('True');
  await new Promise((r) => setTimeout(r, 1100));
  await manager.synchronize(Date.now());
  await waitFor('MemoryPressure False', async () => condition(await getNode(), 'MemoryPressure')?.status === 'False');
  await waitFor('the taint gone', async () => !((await getNode()).spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/memory-pressure'));
  // An evicted pod stays Failed (its controller, if any, replaces it).
  expect((await getPod('hog')).status?.phase).toBe('Failed');
});
