// End to end on real containerd: apiserver (metrics API scraping every 2 s), scheduler, the Deployment,
// ReplicaSet and HorizontalPodAutoscaler controllers and one node agent on a runtime of its own. A busybox
// Deployment (request 100m, limit 200m) burns CPU while a gate file exists on the host (a hostPath
// mount): the metrics API reports the burn as the node agent measures it, `kubectl top pods` of both
// kubectls reads it, an HPA at 50% scales 1 → 3; the gate is removed and, after the HPA's 5 s scale-down
// stabilization window, it goes back to 1, with events saying why.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2';
import type { Event, Pod } from 'kubernetes-types/core/v1';
import { MetricsResources, Resources } from '../../lib/api/resources';
import { IMAGES } from '../../node-agent/runtime-setup';
import type { TestApiServer } from '../helpers/apiserver';
import { kubectlBinaries, kubectlRunner } from '../helpers/kubectl';
import { waitForWithin } from '../helpers/wait';
import { SingleNodeCluster, startSingleNodeCluster } from './helpers/cluster';

const waitFor = waitForWithin(90_000);
jest.setTimeout(300_000);
const ns = 'default';
const app = 'burn';

interface PodMetrics {
  metadata: { name: string };
  containers: Array<{ name: string; usage: { cpu: string; memory: string } }>;
}
interface Summary {
  pods?: Array<{ podRef: { name: string }; containers?: Array<{ name: string; cpu?: { time: string; usageCoreNanoSeconds?: number }; memory?: { workingSetBytes?: number } }> }>;
}

const milliCores = (q: string) => Number(q.replace(/n$/, '')) / 1e6;

describe('HorizontalPodAutoscaler on real containerd', () => {
  let cluster: SingleNodeCluster | undefined;
  let api: TestApiServer;
  let gateDir: string;
  let home: string;

  beforeAll(async () => {
    cluster = await startSingleNodeCluster({
      name: 'autoscale',
      nodeName: 'e2e-autoscale-node',
      api: { metricResolutionMs: 2000 },
      agent: { relistIntervalMs: 200, statsIntervalMs: 1000 },
      scheduler: true,
      controllers: ['deployment', 'replicaset', 'horizontalpodautoscaling', 'garbage-collector'],
      controllerOptions: { podAutoscaler: { syncPeriodMs: 1000 } },
    });
    api = cluster.api;
    gateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-autoscale-gate-'));
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-autoscale-home-'));
  });

  afterAll(async () => {
    if (gateDir) fs.rmSync(path.join(gateDir, 'on'), { force: true });
    await api?.client.delete(Resources.deployments, ns, app).catch(() => undefined);
    await cluster?.stop();
    if (gateDir) fs.rmSync(gateDir, { recursive: true, force: true });
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  const replicas = async () => (await api.client.get<Deployment>(Resources.deployments, ns, app)).spec?.replicas;
  const readyPods = async () =>
    (await api.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: `app=${app}` })).items.filter(
      (p) => !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    );

  it('reports the burn in the metrics API as the node agent measures it, and kubectl top reads it', async () => {
    fs.writeFileSync(path.join(gateDir, 'on'), '');
    const deployment: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app, namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app } },
        template: {
          metadata: { labels: { app } },
          spec: {
            terminationGracePeriodSeconds: 1,
            volumes: [{ name: 'gate', hostPath: { path: gateDir } }],
            containers: [
              {
                name: 'burn',
                image: IMAGES.busybox,
                // `[` is ash's builtin: the loop burns CPU in the shell itself while the gate file exists.
                command: ['sh', '-c', 'while :; do while [ -f /gate/on ]; do :; done; sleep 0.5; done'],
                resources: { requests: { cpu: '100m', memory: '16Mi' }, limits: { cpu: '200m' } },
                volumeMounts: [{ name: 'gate', mountPath: '/gate', readOnly: true }],
              },
            ],
          },
        },
      },
    };
    await api.client.create(Resources.deployments, ns, deployment);
    const [pod] = await waitFor('one burn pod Ready', async () => {
      const pods = await readyPods();
      return pods.length === 1 ? pods : undefined;
    });
    const podName = pod.metadata!.name!;

    // Two scrapes after the burn started give a rate; the limit of 200m caps it.
    const metrics = await waitFor('PodMetrics of the burning pod', async () => {
      const list = await api.client.list<PodMetrics>(MetricsResources.pods, { namespace: ns, labelSelector: `app=${app}` });
      const item = list.items.find((i) => i.metadata.name === podName);
      return item && milliCores(item.containers[0].usage.cpu) > 50 ? item : undefined;
    });
    expect(metrics.containers.map((c) => c.name)).toEqual(['burn']);
    const served = milliCores(metrics.containers[0].usage.cpu);
    expect(served).toBeLessThan(260); // the 200m limit, with room for the window's edges

    // The node agent's own figures: its CPU counter's rate over two reads of /stats/summary, and the
    // working set the API serves (in KiB).
    const read = async () => {
      const s = (await (await fetch(`${cluster!.agent.url}/stats/summary`)).json()) as Summary;
      const c = s.pods?.find((p) => p.podRef.name === podName)?.containers?.find((x) => x.name === 'burn');
      return { t: Date.parse(c!.cpu!.time), cpu: c!.cpu!.usageCoreNanoSeconds!, memory: c!.memory!.workingSetBytes! };
    };
    const first = await read();
    const second = await waitFor('the agent measuring again', async () => {
      await new Promise((r) => setTimeout(r, 1000));
      const s = await read();
      return s.t - first.t >= 1500 ? s : undefined;
    });
    const agentMilli = ((second.cpu - first.cpu) * 1000) / (second.t - first.t) / 1e6;
    expect(agentMilli).toBeGreaterThan(50);
    expect(agentMilli).toBeLessThan(260);
    // Both measure the same capped burn: within a factor of two of each other on a loaded machine.
    expect(served / agentMilli).toBeGreaterThan(0.5);
    expect(served / agentMilli).toBeLessThan(2);
    const servedKi = Number(metrics.containers[0].usage.memory.replace(/Ki$/, ''));
    expect(servedKi).toBeGreaterThan(0);
    expect(Math.abs(servedKi * 1024 - second.memory)).toBeLessThan(4 * 1024 * 1024);

    for (const k of kubectlBinaries('top')) {
      const kubectl = kubectlRunner(k.bin, () => api.kubeconfigPath, () => home, k.ns);
      const top = await kubectl('top', 'pods', '-l', `app=${app}`);
      expect({ kubectl: k.name, stderr: top.stderr, code: top.code }).toEqual({ kubectl: k.name, stderr: '', code: 0 });
      expect(top.stdout).toMatch(/NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
      expect(top.stdout).toMatch(new RegExp(`${podName}\\s+\\d+m\\s+\\d+Mi`));
      const nodes = await kubectl('top', 'nodes');
      expect(nodes.stdout).toMatch(/e2e-autoscale-node\s+\d+m\s+\d+%\s+\d+Mi/);
      // The node's own working set (the machine's, as the kubelet's root cgroup), not its pods' few MiB.
      expect(Number(/e2e-autoscale-node\s+\d+m\s+\d+%\s+(\d+)Mi/.exec(nodes.stdout)![1])).toBeGreaterThan(100);
    }
  });

  it('scales up under the burn and back down after it stops, after the stabilization window', async () => {
    const hpa: HorizontalPodAutoscaler = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: app, namespace: ns },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app },
        minReplicas: 1,
        maxReplicas: 3,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 5 } },
      },
    };
    await api.client.create(Resources.horizontalpodautoscalers, ns, hpa);
    // ~200% of the request against 50%: 4× → 3 (maxReplicas).
    await waitFor('scaled up to 3', async () => (await replicas()) === 3);
    await waitFor('3 burn pods Ready', async () => (await readyPods()).length === 3);
    const up = await waitFor('status with the utilization', async () => {
      const h = await api.client.get<HorizontalPodAutoscaler>(Resources.horizontalpodautoscalers, ns, app);
      const u = h.status?.currentMetrics?.[0]?.resource?.current.averageUtilization;
      return u !== undefined && u > 50 && h.status?.currentReplicas === 3 ? h : undefined;
    });
    expect(up.status?.conditions?.find((c) => c.type === 'ScalingActive')).toMatchObject({ status: 'True', reason: 'ValidMetricFound' });

    // The load stops. The HPA sees ~0% once the next scrapes land, then waits out the 5 s window.
    const stoppedAt = Date.now();
    fs.rmSync(path.join(gateDir, 'on'));
    await waitFor('scaled down to 1', async () => (await replicas()) === 1);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(5000);

    // Events are written a moment after they are recorded.
    const messages = await waitFor('the scale-down event', async () => {
      const events = (await api.client.list<Event>(Resources.events, { namespace: ns })).items.filter((e) => e.involvedObject.kind === 'HorizontalPodAutoscaler');
      const all = events.map((e) => `${e.reason}: ${e.message}`);
      return all.includes('SuccessfulRescale: New size: 1; reason: All metrics below target') ? all : undefined;
    });
    expect(messages).toEqual(
      expect.arrayContaining(['SuccessfulRescale: New size: 3; reason: cpu resource utilization (percentage of request) above target', 'SuccessfulRescale: New size: 1; reason: All metrics below target']),
    );
    for (const k of kubectlBinaries('hpa')) {
      const kubectl = kubectlRunner(k.bin, () => api.kubeconfigPath, () => home, k.ns);
      const got = await kubectl('get', 'hpa', app);
      expect(got.stdout).toMatch(/NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE/);
      expect(got.stdout).toMatch(/burn\s+Deployment\/burn\s+(cpu: )?\d+%\/50%\s+1\s+3\s+\d/);
    }
  });
});
