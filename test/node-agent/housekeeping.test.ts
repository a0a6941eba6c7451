// Housekeeping, as the kubelet's HandlePodCleanups: every few seconds the agent compares what its
// runtime runs with the pods its source holds, and removes what belongs to no pod. A pod's delete
// notification that never reaches the agent (the chaos harness's apiserver kills left containers of
// deleted pods running for good on hollow nodes) must not leave its containers running.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { InformerPodSource, type PodHandler, type PodSource } from '../../node-agent/pod-source';
import { FakeRuntime } from '../../node-agent/runtime/fake-runtime';
import { RunningNodeAgent, startNodeAgent } from '../../node-agent/start';
import { LABEL_POD_UID } from '../../node-agent/labels';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { waitForWithin } from '../helpers/wait';

const waitFor = waitForWithin(20_000);
jest.setTimeout(60_000);

/** The informer's pods, but delete notifications can be lost on the way to the agent. */
class LossySource implements PodSource {
  loseDeletes = false;
  constructor(private readonly inner: InformerPodSource) {}
  list(nodeName: string): Pod[] {
    return this.inner.list(nodeName);
  }
  subscribe(nodeName: string, handler: PodHandler): () => void {
    return this.inner.subscribe(nodeName, (pod, deleted) => {
      if (deleted && this.loseDeletes) return;
      handler(pod, deleted);
    });
  }
  hasSynced(): boolean {
    return this.inner.hasSynced();
  }
}

let api: TestApiServer;
let agent: RunningNodeAgent | undefined;
let inner: InformerPodSource | undefined;
let stateDir: string;

beforeAll(async () => {
  api = await startTestApiServer();
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-housekeeping-'));
});

afterAll(async () => {
  await agent?.stop();
  inner?.stop();
  await api?.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

test('a container of a pod whose delete the agent never heard of is stopped and removed', async () => {
  const nodeName = 'housekeeping-node';
  const runtime = new FakeRuntime({ images: ['busybox:1.35'] });
  inner = new InformerPodSource(api.client, nodeName);
  await inner.start();
  const source = new LossySource(inner);
  agent = await startNodeAgent({
    client: api.client,
    nodeName,
    runtime,
    stateDir,
    cgroupFs: false,
    address: '127.0.0.1',
    port: 0,
    relistIntervalMs: 50,
    leaseRenewIntervalMs: 500,
    podSource: source,
    housekeepingIntervalMs: 500,
    log: () => undefined,
  });
  const pod = await api.client.create<Pod>(Resources.pods, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'lost-delete', namespace: 'default' },
    spec: { nodeName, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox:1.35' }] },
  });
  const running = async () => (await runtime.listContainers()).filter((c) => c.labels[LABEL_POD_UID] === pod.metadata!.uid && c.state === 'CONTAINER_RUNNING');
  await waitFor('the container runs', async () => (await running()).length === 1);
  // The pod goes from the API at once (no graceful phase the agent would see as an update), and the
  // delete notification is lost.
  source.loseDeletes = true;
  await api.client.delete(Resources.pods, 'default', 'lost-delete', { gracePeriodSeconds: 0 });
  await waitFor('the informer no longer has the pod', async () => !inner!.list(nodeName).some((p) => p.metadata?.uid === pod.metadata!.uid));
  await waitFor('housekeeping stopped and removed the container', async () => (await runtime.listContainers()).every((c) => c.labels[LABEL_POD_UID] !== pod.metadata!.uid));
});
