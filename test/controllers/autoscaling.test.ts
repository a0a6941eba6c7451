// The resource metrics API, the HorizontalPodAutoscaler and PodDisruptionBudgets on hollow nodes whose
// fake runtime reports the CPU the test sets: metrics.k8s.io answers the node agents' figures (and
// `kubectl top` of both kubectls reads them), an HPA at 50% scales a Deployment up when its pods burn
// 150% of their request and back down when they stop, and an eviction a budget forbids gets 429.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2';
import type { Event, Pod } from 'kubernetes-types/core/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { MetricsResources, Resources } from '../../lib/api/resources';
import { ApiError } from '../../lib/client/client';
import { RunningControllers, startControllers } from '../../controllers/manager';
import { HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { startScheduler } from '../../scheduler/start';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { waitFor } from '../helpers/wait';

const ns = 'default';
const repo = path.resolve(__dirname, '..', '..');
const kubectls = [path.join(repo, 'tools', 'kubectl', 'usr', 'bin', 'kubectl'), '/usr/bin/kubectl'];
let api: TestApiServer;
let nodes: HollowNodes;
let scheduler: { stop(): Promise<void> };
let controllers: RunningControllers;

beforeAll(async () => {
  api = await startTestApiServer({ metricResolutionMs: 300 });
  nodes = await startHollowNodes({ client: api.client, count: 2, namePrefix: 'hpa-node-', relistIntervalMs: 200, port: 0, statsIntervalMs: 250 });
  scheduler = await startScheduler({ client: api.client });
  controllers = await startControllers({
    client: api.client,
    controllers: ['deployment', 'replicaset', 'horizontalpodautoscaling', 'disruption'],
    podAutoscaler: { syncPeriodMs: 500 },
    log: () => undefined,
  });
}, 60_000);

afterAll(async () => {
  await controllers?.stop();
  await scheduler?.stop();
  await nodes?.stop();
  await api?.stop();
});

const setUsage = (milliCores: number) => {
  for (const rt of nodes.runtimes.values()) rt.setUsage({ milliCores, memoryBytes: 32 * 1024 * 1024 });
};

function deployment(name: string, replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'burn', image: 'busybox:1.35', resources: { requests: { cpu: '100m' } } }] } },
    },
  };
}

const runningPods = async (app: string) => (await api.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: `app=${app}` })).items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);

function kubectl(bin: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(bin, [`--kubeconfig=${api.kubeconfigPath}`, ...args], (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr })),
  );
}

describe('metrics API and HorizontalPodAutoscaler on hollow nodes', () => {
  it('serves PodMetrics and NodeMetrics at the rate the runtime reports, and kubectl top reads them', async () => {
    setUsage(250);
    await api.client.create(Resources.deployments, ns, deployment('top', 2));
    await waitFor("condition", async () => (await runningPods('top')).length === 2, 20_000);
    const list = await waitFor("condition", async () => {
      const l = await api.client.list<{ metadata: { name: string; namespace: string; labels?: Record<string, string> }; window: string; containers: Array<{ usage: { cpu: string; memory: string } }> }>(MetricsResources.pods, { namespace: ns, labelSelector: 'app=top' });
      return l.items.length === 2 ? l : undefined;
    }, 20_000);
    for (const item of list.items) {
      expect(item).toMatchObject({ kind: 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1', metadata: { namespace: ns, labels: { app: 'top' } }, window: expect.stringMatching(/^\d+ms$|^\d+s$/) });
      const nano = Number(item.containers[0].usage.cpu.replace(/n$/, ''));
      expect(nano / 1e6).toBeGreaterThan(200); // 250m, measured over a sub-second window
      expect(nano / 1e6).toBeLessThan(300);
      expect(item.containers[0].usage.memory).toBe('32768Ki');
    }
    const nodeMetrics = await api.client.list<{ metadata: { name: string } }>(MetricsResources.nodes);
    expect(nodeMetrics.items.map((n) => n.metadata.name).sort()).toEqual(['hpa-node-0', 'hpa-node-1']);
    await expect(api.client.get(MetricsResources.pods, ns, 'nope')).rejects.toMatchObject({ code: 404 });
    for (const bin of kubectls) {
      const top = await kubectl(bin, 'top', 'pods', '-l', 'app=top');
      expect(top.stderr).toBe('');
      expect(top.stdout).toMatch(/NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
      expect(top.stdout).toMatch(/top-\S+\s+2\d\dm\s+32Mi/);
      const topNodes = await kubectl(bin, 'top', 'nodes');
      expect(topNodes.stdout).toMatch(/hpa-node-0\s+\d+m/);
    }
  }, 60_000);

  it('scales a Deployment up under load and back down after it, with events and conditions', async () => {
    setUsage(150);
    await api.client.create(Resources.deployments, ns, deployment('web', 2));
    const hpa: HorizontalPodAutoscaler = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: ns },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 2 } },
      },
    };
    await api.client.create(Resources.horizontalpodautoscalers, ns, hpa);
    // 150% of the request against 50%: 3× → 6 pods (capped by maxReplicas 6 and the scale-up policy).
    await waitFor("condition", async () => (await api.client.get<Deployment>(Resources.deployments, ns, 'web')).spec?.replicas === 6, 30_000);
    const status = await waitFor("condition", async () => {
      const h = await api.client.get<HorizontalPodAutoscaler>(Resources.horizontalpodautoscalers, ns, 'web');
      return h.status?.conditions?.find((c) => c.type === 'ScalingActive')?.status === 'True' ? h.status : undefined;
    }, 10_000);
    expect(status.currentMetrics?.[0].resource?.current.averageUtilization).toBeGreaterThan(100);
    // The load stops: down to minReplicas after the 2 s window.
    setUsage(5);
    await waitFor("condition", async () => (await api.client.get<Deployment>(Resources.deployments, ns, 'web')).spec?.replicas === 2, 40_000);
    // Events are written a moment after they are recorded.
    const messages = await waitFor('the scale-down event', async () => {
      const events = (await api.client.list<Event>(Resources.events, { namespace: ns })).items.filter((e) => e.involvedObject.kind === 'HorizontalPodAutoscaler');
      const all = events.map((e) => `${e.reason}: ${e.message}`);
      return all.includes('SuccessfulRescale: New size: 2; reason: All metrics below target') ? all : undefined;
    }, 5_000);
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(/^SuccessfulRescale: New size: \d; reason: cpu resource utilization \(percentage of request\) above target$/), 'SuccessfulRescale: New size: 2; reason: All metrics below target']));
    for (const bin of kubectls) {
      const got = await kubectl(bin, 'get', 'hpa', 'web');
      expect(got.stdout).toMatch(/NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE/);
      expect(got.stdout).toMatch(/web\s+Deployment\/web\s+cpu: \d+%\/50%\s+2\s+6\s+\d/);
    }
  }, 120_000);

  it('claims no custom or external metrics API in discovery, so Object, Pods and External metrics fail as without an adapter', async () => {
    const get = async (path: string) => {
      const res = await fetch(`${api.url}${path}`);
      return { code: res.status, body: (await res.json()) as { groups?: Array<{ name: string }>; message?: string } };
    };
    const groups = (await get('/apis')).body.groups!.map((g) => g.name);
    expect(groups).toContain('metrics.k8s.io');
    expect(groups).not.toContain('custom.metrics.k8s.io');
    expect(groups).not.toContain('external.metrics.k8s.io');
    for (const path of ['/apis/custom.metrics.k8s.io/v1beta1', '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_messages_ready']) {
      // What kube's external metrics client then reports (NO_EXTERNAL_METRICS_API in the HPA's sync).
      expect(await get(path)).toMatchObject({ code: 404, body: { message: 'the server could not find the requested resource' } });
    }
    for (const bin of kubectls) {
      const versions = (await kubectl(bin, 'api-versions')).stdout;
      expect(versions).toContain('metrics.k8s.io/v1beta1');
      expect(versions).not.toMatch(/custom\.metrics|external\.metrics/);
    }
  });

  it('refuses an eviction a PodDisruptionBudget forbids with 429 and allows it when there is room', async () => {
    await api.client.create(Resources.deployments, ns, deployment('guarded', 2));
    await waitFor("condition", async () => (await runningPods('guarded')).filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 2, 20_000);
    const pdb: PodDisruptionBudget = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'guarded', namespace: ns }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'guarded' } } } };
    await api.client.create(Resources.poddisruptionbudgets, ns, pdb);
    await waitFor("condition", async () => (await api.client.get<PodDisruptionBudget>(Resources.poddisruptionbudgets, ns, 'guarded')).status?.currentHealthy === 2, 10_000);
    const victim = (await runningPods('guarded'))[0].metadata!.name!;
    const evict = () => api.client.create(Resources.pods, ns, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: victim, namespace: ns } }, { name: victim, subresource: 'eviction' });
    const err = (await evict().catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe(429);
    expect(err.message).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    // Room for one more: scale to 3, wait for the budget to allow one, then the eviction goes through.
    await api.client.patch(Resources.deployments, ns, 'guarded', { spec: { replicas: 3 } });
    await waitFor("condition", async () => (await api.client.get<PodDisruptionBudget>(Resources.poddisruptionbudgets, ns, 'guarded')).status?.disruptionsAllowed === 1, 20_000);
    await evict();
    const after = await api.client.get<PodDisruptionBudget>(Resources.poddisruptionbudgets, ns, 'guarded');
    expect(after.status?.disruptionsAllowed).toBe(0);
  }, 60_000);
});
