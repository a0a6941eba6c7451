// End to end on real containerd: apiserver + one node agent on a runtime of its own. An nginx pod
// bound to the node → Running with a podIP; the pod IP and a hostPort on 127.0.0.1 serve nginx's page;
// the memory limit is in the container's cgroup; logs (agent endpoint and apiserver pods/log) show the
// access line; killing nginx's host process → restarted, restartCount 1, Ready again; restarting the
// agent → no duplicate containers; deleting the pod → sandbox, containers, cgroups and logs gone (with
// a host port, the sandbox before the object; without, right after it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { isNotFound } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import type { CriRuntime } from '../../node-agent/runtime/cri/cri-runtime';
import { IMAGES } from '../../node-agent/runtime-setup';
import { LABEL_POD_UID } from '../../node-agent/labels';
import type { TestApiServer } from '../helpers/apiserver';
import { freePort, httpGet } from './helpers/net';
import { SingleNodeCluster, startSingleNodeCluster } from './helpers/cluster';
import type { TestRuntime } from './helpers/runtime';
import { waitForWithin } from '../helpers/wait';

const waitFor = waitForWithin(60000);

jest.setTimeout(240_000);

/** The memory limit of the cgroup a host PID is in (cgroup v1 memory controller, or v2 memory.max). */
function memoryLimitOf(pid: number): number {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const v1 = lines.find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
  if (v1) {
    const rel = v1.split(':')[2];
    return Number(fs.readFileSync(path.join('/sys/fs/cgroup/memory', rel, 'memory.limit_in_bytes'), 'utf8').trim());
  }
  const v2 = lines.find((l) => l.startsWith('0::'))!;
  return Number(fs.readFileSync(path.join('/sys/fs/cgroup', v2.slice(3), 'memory.max'), 'utf8').trim());
}

describe('node agent on real containerd', () => {
  let cluster: SingleNodeCluster | undefined;
  let rt: TestRuntime;
  let api: TestApiServer;
  let cri: CriRuntime;
  let hostPort: number;
  const nodeName = 'e2e-agent-node';

  beforeAll(async () => {
    hostPort = await freePort();
    cluster = await startSingleNodeCluster({ name: 'node-agent', nodeName });
    ({ rt, api, cri } = cluster);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  const getPod = () => api.client.get<Pod>(Resources.pods, 'default', 'nginx');
  const containerIdOf = (p: Pod) => p.status!.containerStatuses![0].containerID!.replace(/^containerd:\/\//, '');
  const podContainers = async (uid: string) => (await cri.listContainers()).filter((c) => c.labels[LABEL_POD_UID] === uid);

  test('an nginx pod bound to the node runs, serves on its pod IP and hostPort, with its memory limit', async () => {
    await api.client.create<Pod>(Resources.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'nginx', namespace: 'default', labels: { app: 'nginx' } },
      spec: {
        nodeName,
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'nginx',
            image: IMAGES.nginx,
            ports: [{ containerPort: 80, hostPort, hostIP: '127.0.0.1' }],
            resources: { limits: { memory: '64Mi', cpu: '500m' } },
            readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 1 },
          },
        ],
      },
    });
    const pod = await waitFor('nginx Running and Ready', async () => {
      const p = await getPod();
      return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready && p;
    });
    expect(pod.status?.podIP).toMatch(/^10\.210\./);
    expect(pod.status?.containerStatuses?.[0].containerID).toMatch(/^containerd:\/\//);
    expect(pod.status?.containerStatuses?.[0].imageID).toContain('sha256:');
    const viaPodIP = await httpGet(pod.status!.podIP!, 80);
    expect(viaPodIP.status).toBe(200);
    expect(viaPodIP.body).toContain('hello from nginx');
    const viaHostPort = await waitFor('hostPort', async () => {
      const r = await httpGet('127.0.0.1', hostPort);
      return r.status === 200 && r;
    });
    expect(viaHostPort.body).toContain('hello from nginx');
    const st = await cri.containerStatus(containerIdOf(pod));
    expect(st.pid).toBeGreaterThan(0);
    expect(memoryLimitOf(st.pid!)).toBe(64 * 1024 * 1024);
  });

  test("logs show nginx's access line, through the agent and through the apiserver's pods/log", async () => {
    await httpGet((await getPod()).status!.podIP!, 80, '/from-the-e2e-test');
    const node = cluster!.agent;
    const line = await waitFor('access line in the agent log endpoint', async () => {
      const r = await httpGet('127.0.0.1', node.port, '/containerLogs/default/nginx/nginx');
      return r.status === 200 && r.body.includes('GET /from-the-e2e-test HTTP/1.1') && r.body;
    });
    expect(line).not.toMatch(/^\d{4}-\d\d-\d\dT\S+ std(out|err) [PF] /m); // CRI prefix stripped
    const ts = await httpGet('127.0.0.1', node.port, '/containerLogs/default/nginx/nginx?timestamps=true&tailLines=1');
    expect(ts.body).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \S/);
    const viaApi = await api.client.request<string>('GET', '/api/v1/namespaces/default/pods/nginx/log', { accept: '*/*' });
    expect(viaApi).toContain('GET /from-the-e2e-test HTTP/1.1');
  });

  test("killing nginx's host process restarts it: restartCount 1, Ready and serving again", async () => {
    const before = await getPod();
    const st = await cri.containerStatus(containerIdOf(before));
    process.kill(st.pid!, 'SIGKILL');
    const pod = await waitFor('restarted and Ready', async () => {
      const p = await getPod();
      const cs = p.status?.containerStatuses?.[0];
      return cs?.restartCount === 1 && cs.ready && cs.state?.running && p;
    });
    expect(pod.status?.containerStatuses?.[0].lastState?.terminated?.exitCode).toBe(137);
    expect((await httpGet(pod.status!.podIP!, 80)).status).toBe(200);
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  test('restarting the agent while the pod runs leaves no duplicate containers', async () => {
    const pod = await getPod();
    const uid = pod.metadata!.uid!;
    const before = (await podContainers(uid)).filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => c.id);
    const sandboxesBefore = (await cri.listPodSandboxes()).filter((s) => s.labels[LABEL_POD_UID] === uid).length;
    expect(before).toHaveLength(1);
    await cluster!.restartAgent();
    await new Promise((r) => setTimeout(r, 2000));
    const after = (await podContainers(uid)).filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => c.id);
    expect(after).toEqual(before);
    expect((await cri.listPodSandboxes()).filter((s) => s.labels[LABEL_POD_UID] === uid)).toHaveLength(sandboxesBefore);
    const again = await getPod();
    expect(again.status?.containerStatuses?.[0].restartCount).toBe(1);
    expect(again.status?.phase).toBe('Running');
  });

  test('deleting the pod stops it and removes its cgroups, then the object; its dead sandbox, containers and logs go right after', async () => {
    const pod = await getPod();
    const uid = pod.metadata!.uid!;
    await api.client.delete(Resources.pods, 'default', 'nginx');
    await waitFor('pod object gone', async () => getPod().then(() => false, (e) => isNotFound(e)));
    // A pod with a host port, as the kubelet: the object goes once nothing runs (sandbox stopped: its
    // network and portmap rules torn down) and the cgroup is gone. (Without host ports the sandbox goes
    // right after the object: scenario.test.ts.)
    expect((await podContainers(uid)).filter((c) => c.state === 'CONTAINER_RUNNING')).toEqual([]);
    expect((await cri.listPodSandboxes()).filter((s) => s.labels[LABEL_POD_UID] === uid && s.state === 'SANDBOX_READY')).toEqual([]);
    expect(fs.existsSync(path.join('/sys/fs/cgroup/memory', rt.cgroupRoot, `pod${uid}`))).toBe(false);
    // The dead sandbox and containers are garbage, removed by the delete notification's sync.
    await waitFor('sandbox, containers and logs removed', async () => {
      const sandboxes = (await cri.listPodSandboxes()).filter((s) => s.labels[LABEL_POD_UID] === uid);
      return !sandboxes.length && !(await podContainers(uid)).length && !fs.readdirSync(rt.podLogDir).some((d) => d.endsWith(uid));
    });
  });

  test('a pod without host ports: its object goes once its containers are stopped; its sandbox (network), cgroups and logs right after', async () => {
    const created = await api.client.create<Pod>(Resources.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'plain', namespace: 'default' },
      spec: { nodeName, terminationGracePeriodSeconds: 2, containers: [{ name: 'nginx', image: IMAGES.nginx }] },
    });
    const uid = created.metadata!.uid!;
    const getPlain = () => api.client.get<Pod>(Resources.pods, 'default', 'plain');
    const running = await waitFor('plain Running', async () => {
      const p = await getPlain();
      return p.status?.phase === 'Running' && !!p.status.podIP && p;
    });
    expect((await httpGet(running.status!.podIP!, 80)).status).toBe(200);
    await api.client.delete(Resources.pods, 'default', 'plain');
    await waitFor('plain gone', async () => getPlain().then(() => false, (e) => isNotFound(e)));
    expect((await podContainers(uid)).filter((c) => c.state === 'CONTAINER_RUNNING')).toEqual([]);
    await waitFor('its sandbox, containers, cgroups and logs removed', async () => {
      const sandboxes = (await cri.listPodSandboxes()).filter((s) => s.labels[LABEL_POD_UID] === uid);
      return (
        !sandboxes.length &&
        !(await podContainers(uid)).length &&
        !fs.existsSync(path.join('/sys/fs/cgroup/memory', rt.cgroupRoot, `pod${uid}`)) &&
        !fs.readdirSync(rt.podLogDir).some((d) => d.endsWith(uid))
      );
    });
  });
});
