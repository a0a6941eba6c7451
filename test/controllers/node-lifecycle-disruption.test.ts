// The node lifecycle controller when every node goes silent at once — as when the apiserver was down
// and no heartbeat could land (the chaos harness's apiserver kills: every pod of a Deployment on
// healthy nodes evicted) — marks and evicts nothing, as Kubernetes in full disruption; once heartbeats
// land again every node has a fresh grace period. One node silent alone is still evicted from, its pods
// marked DisruptionTarget (DeletionByTaintManager) first.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { startControllers, RunningControllers } from '../../controllers/manager';
import { UnreachableTaintKey } from '../../controllers/node-lifecycle';
import { HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { sleep, waitFor } from '../helpers/wait';

const ns = 'default';
const GRACE_SECONDS = 3;
let api: TestApiServer;
let nodes: HollowNodes;
let controllers: RunningControllers;

beforeAll(async () => {
  api = await startTestApiServer();
  nodes = await startHollowNodes({ client: api.client, count: 3, namePrefix: 'fd-node-', leaseRenewIntervalMs: 300, nodeStatusReportIntervalMs: 1000, relistIntervalMs: 300, port: false });
  controllers = await startControllers({
    client: api.client,
    controllers: ['node-lifecycle'],
    nodeLifecycle: { nodeMonitorGracePeriodSeconds: GRACE_SECONDS, nodeMonitorPeriodMs: 250 },
    log: () => undefined,
  });
}, 60_000);

afterAll(async () => {
  await controllers?.stop();
  await nodes?.stop();
  await api?.stop();
});

const tainted = async () =>
  (await api.client.list<Node>(Resources.nodes)).items.filter((n) => (n.spec?.taints || []).some((t) => t.key === UnreachableTaintKey)).map((n) => n.metadata!.name!);
const podNames = async () => (await api.client.list<Pod>(Resources.pods, { namespace: ns })).items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!).sort();

test('every node silent at once: no taint, no eviction, during it and after it; one node silent alone: tainted and evicted from', async () => {
  for (const [i, node] of nodes.names.entries()) {
    await api.client.create<Pod>(Resources.pods, ns, { metadata: { name: `p-${i}` }, spec: { nodeName: node, containers: [{ name: 'c', image: 'nginx:1.27' }] } });
  }
  const all = await podNames();
  expect(all).toHaveLength(3);

  for (const node of nodes.names) nodes.stopNode(node);
  // Twice the grace period and more: every node silent long past it.
  await sleep(GRACE_SECONDS * 2500);
  expect(await tainted()).toEqual([]);
  expect(await podNames()).toEqual(all);
  // Heartbeats resume one node at a time: the ones not heard from yet are not taken for dead.
  for (const node of nodes.names) {
    await nodes.resumeNode(node);
    await sleep(300);
  }
  await sleep(GRACE_SECONDS * 1000);
  expect(await tainted()).toEqual([]);
  expect(await podNames()).toEqual(all);

  // The controller still acts on one node going silent while the others renew.
  const victim = nodes.names[0];
  // The evicted pod's last states, from a watch: marked DisruptionTarget before it was deleted.
  const seen: Pod[] = [];
  const watch = await api.client.watch<Pod>(Resources.pods, { namespace: ns, fieldSelector: 'metadata.name=p-0' }, (ev) => seen.push(ev.object), () => undefined);
  nodes.stopNode(victim);
  await waitFor('the silent node tainted', async () => (await tainted()).includes(victim), 30_000);
  await waitFor('its pod evicted', async () => !(await podNames()).includes('p-0'), 30_000);
  expect(await tainted()).toEqual([victim]);
  await waitFor('the eviction watched', () => seen.some((p) => p.status?.conditions?.some((c) => c.type === 'DisruptionTarget')));
  watch.stop();
  expect(seen.flatMap((p) => p.status?.conditions ?? []).find((c) => c.type === 'DisruptionTarget')).toMatchObject({
    status: 'True',
    reason: 'DeletionByTaintManager',
    message: 'Taint manager: deleting due to NoExecute taint',
  });
  await nodes.resumeNode(victim);
}, 90_000);
