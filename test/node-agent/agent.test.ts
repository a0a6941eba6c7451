// Integration: a real in-process apiserver, the node agent on the fake runtime. Pod bound → Running →
// Ready; a crash → restarted; delete → gone; agent restart → re-adopted, no duplicates; orphans removed;
// node, lease, logs endpoint, metrics.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Event as CoreEvent, Node, Pod } from 'kubernetes-types/core/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import { isNotFound } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { DEFAULT_LEASE_DURATION_SECONDS } from '../../node-agent/agent';
import { FakeRuntime } from '../../node-agent/runtime/fake-runtime';
import { RunningNodeAgent, startNodeAgent } from '../../node-agent/start';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { waitForWithin } from '../helpers/wait';

const waitFor = waitForWithin(15000);

jest.setTimeout(60_000);


describe('node agent on the fake runtime', () => {
  let api: TestApiServer;
  let runtime: FakeRuntime;
  let agent: RunningNodeAgent;
  let stateDir: string;
  const nodeName = 'fake-node-1';

  const startAgent = () =>
    startNodeAgent({
      client: api.client,
      nodeName,
      runtime,
      stateDir,
      cgroupFs: false,
      address: '127.0.0.1',
      port: 0,
      relistIntervalMs: 50,
      leaseRenewIntervalMs: 500,
      backoff: { initialMs: 300, maxMs: 1200 },
      log: () => undefined,
    });

  beforeAll(async () => {
    api = await startTestApiServer();
    runtime = new FakeRuntime({ images: ['busybox:1.35'] });
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-agent-test-'));
    agent = await startAgent();
  });

  afterAll(async () => {
    await agent?.stop();
    await api?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  const getPod = (name: string) => api.client.get<Pod>(Resources.pods, 'default', name);

  function podManifest(name: string, extra: Partial<Pod['spec']> = {}): Pod {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app: name } },
      spec: {
        nodeName,
        containers: [
          {
            name: 'app',
            image: 'nginx:1.22',
            env: [
              { name: 'MY_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'GREETING', value: 'hi $(MY_POD)' },
            ],
            resources: { limits: { memory: '64Mi', cpu: '500m' } },
            ports: [{ containerPort: 80, hostPort: 18080 }],
          },
        ],
        ...extra,
      },
    };
  }

  test('registers a Ready node with capacity, addresses, nodeInfo and the kubelet port', async () => {
    const node = await api.client.get<Node>(Resources.nodes, undefined, nodeName);
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.status).toBe('True');
    expect(node.status?.conditions?.map((c) => c.type).sort()).toEqual(['DiskPressure', 'MemoryPressure', 'PIDPressure', 'Ready']);
    expect(node.status?.capacity?.cpu).toBe(String(os.cpus().length));
    expect(node.status?.capacity?.pods).toBe('110');
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    expect(node.status?.nodeInfo?.containerRuntimeVersion).toBe('fake://0.1.0');
    expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(agent.port);
    expect(node.metadata?.labels?.['kubernetes.io/hostname']).toBe(nodeName);
  });

  test('renews its Lease in kube-node-lease', async () => {
    const first = await waitFor('lease', () => api.client.get<Lease>(Resources.leases, 'kube-node-lease', nodeName));
    expect(first.spec?.holderIdentity).toBe(nodeName);
    const renewed = await waitFor('renewal', async () => {
      const l = await api.client.get<Lease>(Resources.leases, 'kube-node-lease', nodeName);
      return l.spec?.renewTime !== first.spec?.renewTime && l;
    });
    expect(renewed.spec?.leaseDurationSeconds).toBe(DEFAULT_LEASE_DURATION_SECONDS);
  });

  test('a bound pod becomes Running and Ready with podIP, container status and resources', async () => {
    await api.client.create(Resources.pods, 'default', podManifest('web'));
    const pod = await waitFor('web Running+Ready', async () => {
      const p = await getPod('web');
      return p.status?.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && p;
    });
    const cs = pod.status!.containerStatuses![0];
    expect(cs.ready).toBe(true);
    expect(cs.restartCount).toBe(0);
    expect(cs.state?.running?.startedAt).toBeDefined();
    expect(cs.containerID).toMatch(/^fake:\/\/ctr/);
    expect(cs.imageID).toContain('sha256:');
    expect(pod.status?.podIP).toMatch(/^10\.88\./);
    expect(pod.status?.hostIP).toBe('127.0.0.1');
    expect(pod.status?.startTime).toBeDefined();
    expect(pod.status?.qosClass).toBe('Guaranteed');
    expect(pod.status?.conditions?.map((c) => c.type)).toEqual(expect.arrayContaining(['Initialized', 'Ready', 'ContainersReady', 'PodScheduled']));
    // What reached the runtime
    const id = cs.containerID!.replace('fake://', '');
    const cfg = runtime.containerConfig(id);
    const env = Object.fromEntries(cfg.env.map((e) => [e.name, e.value]));
    expect(env.MY_POD).toBe('web');
    expect(env.MY_IP).toBe(pod.status?.podIP);
    expect(env.GREETING).toBe('hi web');
    expect(cfg.resources).toEqual({ cpuShares: 512, cpuPeriod: 100000, cpuQuota: 50000, memoryLimitInBytes: 64 * 1024 * 1024 });
    expect(cfg.mounts.find((m) => m.containerPath === '/etc/hosts')).toBeDefined();
    const sb = runtime.sandboxConfig((await runtime.listPodSandboxes())[0].id);
    expect(sb.portMappings).toEqual([{ protocol: 'TCP', containerPort: 80, hostPort: 18080, hostIp: '' }]);
    expect(sb.hostname).toBe('web');
    expect(sb.cgroupParent).toBe(`/steerpods/pod${pod.metadata?.uid}`);
  });

  test('a crashed container is restarted: restartCount 1, lastState terminated, Ready again', async () => {
    const before = await getPod('web');
    const id = before.status!.containerStatuses![0].containerID!.replace('fake://', '');
    const t0 = Date.now();
    runtime.crash(id, 137);
    const pod = await waitFor('restart', async () => {
      const p = await getPod('web');
      const cs = p.status?.containerStatuses?.[0];
      return cs?.restartCount === 1 && cs.state?.running && cs.ready && p;
    });
    expect(Date.now() - t0).toBeLessThan(5000);
    const cs = pod.status!.containerStatuses![0];
    expect(cs.lastState?.terminated?.exitCode).toBe(137);
    expect(cs.containerID).not.toBe(before.status!.containerStatuses![0].containerID);
    expect(runtime.counts().running).toBe(1);
  });

  test('a second crash goes into CrashLoopBackOff, then restarts after the back-off', async () => {
    const before = await getPod('web');
    const id = before.status!.containerStatuses![0].containerID!.replace('fake://', '');
    runtime.crash(id, 1);
    const waiting = await waitFor('CrashLoopBackOff', async () => {
      const p = await getPod('web');
      return p.status?.containerStatuses?.[0].state?.waiting?.reason === 'CrashLoopBackOff' && p;
    });
    expect(waiting.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    await waitFor('restart after back-off', async () => {
      const p = await getPod('web');
      return p.status?.containerStatuses?.[0].restartCount === 2 && p.status.containerStatuses[0].state?.running;
    });
  });

  test('a pod\'s first start is timed by phase (steer_node_agent_pod_start_phase_seconds); its restarts are not', async () => {
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    const series = (name: string, phase: string) =>
      Number(metrics.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`node="${nodeName}"`) && l.includes(`phase="${phase}"`))?.split(' ')[1]);
    // One pod (web) has started so far, and restarted twice since: each phase was observed once.
    expect(Number(new RegExp(`kubelet_pod_start_duration_seconds_count\\{node="${nodeName}"\\} (\\S+)`).exec(metrics)?.[1])).toBe(1);
    for (const phase of ['queued', 'volumes', 'sandbox', 'image', 'create', 'start', 'status']) {
      expect(series('steer_node_agent_pod_start_phase_seconds_count', phase)).toBe(1);
      expect(series('steer_node_agent_pod_start_phase_seconds_sum', phase)).toBeGreaterThanOrEqual(0);
    }
    // The fake runtime answers at once; the status write goes to a real apiserver.
    expect(series('steer_node_agent_pod_start_phase_seconds_sum', 'status')).toBeGreaterThan(0);
  });

  test('serves container logs from the CRI log file', async () => {
    const pod = await getPod('web');
    const id = pod.status!.containerStatuses![0].containerID!.replace('fake://', '');
    const st = await runtime.containerStatus(id);
    fs.mkdirSync(path.dirname(st.logPath), { recursive: true });
    fs.writeFileSync(
      st.logPath,
      '2026-11-23T07:06:37.311896215Z stdout F line one\n' +
        '2026-11-23T07:06:38.000000000Z stderr P part-\n' +
        '2026-11-23T07:06:38.100000000Z stderr F two\n' +
        '2026-11-23T07:06:39.000000000Z stdout F line three\n',
    );
    const base = `${agent.url}/containerLogs/default/web/app`;
    expect(await (await fetch(base)).text()).toBe('line one\npart-two\nline three\n');
    expect(await (await fetch(`${base}?tailLines=1`)).text()).toBe('line three\n');
    expect(await (await fetch(`${base}?timestamps=true&tailLines=2`)).text()).toBe(
      '2026-11-23T07:06:38.000000000Z part-two\n2026-11-23T07:06:39.000000000Z line three\n',
    );
    const bad = await fetch(`${agent.url}/containerLogs/default/web/nope`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { kind: string }).kind).toBe('Status');
    expect((await fetch(`${agent.url}/containerLogs/default/missing/app`)).status).toBe(404);
    expect(await (await fetch(`${agent.url}/healthz`)).text()).toBe('ok');
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`kubelet_running_pods\\{node="${nodeName}"\\} 1`));
    expect(metrics).toContain('kubelet_pod_start_duration_seconds_bucket');
    expect(metrics).toContain('kubelet_pleg_relist_duration_seconds');
  });

  test('restarting the agent re-adopts the running pod without duplicates', async () => {
    const before = await getPod('web');
    const countsBefore = runtime.counts();
    await agent.stop();
    agent = await startAgent();
    await new Promise((r) => setTimeout(r, 500));
    expect(runtime.counts()).toEqual(countsBefore);
    const after = await getPod('web');
    expect(after.status?.containerStatuses?.[0].containerID).toBe(before.status?.containerStatuses?.[0].containerID);
    expect(after.status?.phase).toBe('Running');
  });

  test('deleting the pod stops it, deletes the object with one final DELETE, and removes its sandbox and containers', async () => {
    // The agent's final deletes (grace 0, uid precondition) and how the apiserver answered them.
    const finalDeletes: Array<number | 'ok'> = [];
    const del = api.client.delete.bind(api.client);
    const spy = jest.spyOn(api.client, 'delete').mockImplementation(async (r, namespace, name, o) => {
      const final = r.resource === 'pods' && o?.gracePeriodSeconds === 0 && o.preconditions?.uid !== undefined;
      try {
        const res = await del(r, namespace, name, o);
        if (final) finalDeletes.push('ok');
        return res;
      } catch (err) {
        if (final) finalDeletes.push((err as { code?: number }).code ?? -1);
        throw err;
      }
    });
    try {
      await api.client.delete(Resources.pods, 'default', 'web');
      await waitFor('web gone', async () => {
        try {
          await getPod('web');
          return false;
        } catch (err) {
          return isNotFound(err);
        }
      });
      // The sandbox goes after the object (the delete notification's sync), the containers with it.
      await waitFor('sandbox and containers removed', async () => runtime.counts().sandboxes === 0 && runtime.counts().containers === 0);
      // Syncs after the final DELETE (the runtime's and the watch's late news of the pod) send no other.
      await new Promise((r) => setTimeout(r, 500));
      expect(finalDeletes).toEqual(['ok']);
    } finally {
      spy.mockRestore();
    }
  });

  test('a pod whose object vanished while the agent was down is removed on start', async () => {
    await api.client.create(Resources.pods, 'default', podManifest('orphan', { containers: [{ name: 'c', image: 'busybox:1.35' }] }));
    await waitFor('orphan running', async () => (await getPod('orphan')).status?.phase === 'Running');
    await agent.stop();
    // Grace 0: the object goes at once, while no agent is there to finish the deletion.
    await api.client.delete(Resources.pods, 'default', 'orphan', { gracePeriodSeconds: 0 });
    expect(runtime.counts().sandboxes).toBe(1);
    agent = await startAgent();
    await waitFor('orphan cleaned', async () => runtime.counts().sandboxes === 0 && runtime.counts().containers === 0);
  });

  test('init containers run in order before the app; restartPolicy Never ends Succeeded', async () => {
    await api.client.create(Resources.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'job', namespace: 'default' },
      spec: {
        nodeName,
        restartPolicy: 'Never',
        initContainers: [
          { name: 'init1', image: 'busybox:1.35' },
          { name: 'init2', image: 'busybox:1.35' },
        ],
        containers: [{ name: 'main', image: 'busybox:1.35' }],
      },
    } as Pod);
    const crashWhenRunning = async (name: string, init: boolean) => {
      const p = await waitFor(`${name} running`, async () => {
        const p = await getPod('job');
        const list = init ? p.status?.initContainerStatuses : p.status?.containerStatuses;
        return list?.find((c) => c.name === name)?.state?.running && p;
      });
      const list = (init ? p.status?.initContainerStatuses : p.status?.containerStatuses)!;
      expect(p.status?.phase).toBe(init ? 'Pending' : 'Running');
      runtime.crash(list.find((c) => c.name === name)!.containerID!.replace('fake://', ''), 0);
    };
    await crashWhenRunning('init1', true);
    await crashWhenRunning('init2', true);
    await crashWhenRunning('main', false);
    const done = await waitFor('Succeeded', async () => {
      const p = await getPod('job');
      return p.status?.phase === 'Succeeded' && p;
    });
    expect(done.status?.containerStatuses?.[0].state?.terminated?.reason).toBe('Completed');
    expect(done.status?.initContainerStatuses?.map((c) => c.state?.terminated?.exitCode)).toEqual([0, 0]);
    await new Promise((r) => setTimeout(r, 300));
    expect(runtime.counts().running).toBe(0);
    await api.client.delete(Resources.pods, 'default', 'job');
    await waitFor('job gone', async () => getPod('job').then(() => false, (e) => isNotFound(e)));
  });

  test('a pod past its activeDeadlineSeconds is stopped and Failed with DeadlineExceeded, and stays so', async () => {
    await api.client.create(Resources.pods, 'default', {
      metadata: { name: 'deadline', namespace: 'default' },
      spec: { nodeName, activeDeadlineSeconds: 2, terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox:1.35' }] },
    } as Pod);
    const running = await waitFor('deadline Running', async () => {
      const p = await getPod('deadline');
      return p.status?.phase === 'Running' && p;
    });
    const started = Date.parse(running.status!.startTime!);
    const failed = await waitFor('deadline Failed', async () => {
      const p = await getPod('deadline');
      return p.status?.phase === 'Failed' && p;
    });
    // Not before the deadline, and soon after it (the agent syncs the pod again at the deadline).
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(failed.status?.reason).toBe('DeadlineExceeded');
    expect(failed.status?.message).toBe('Pod was active on the node longer than the specified deadline');
    const stopped = await waitFor('its container stopped', async () => {
      const p = await getPod('deadline');
      return p.status?.containerStatuses?.[0].state?.terminated && p;
    });
    expect(stopped.status?.phase).toBe('Failed');
    await waitFor('the DeadlineExceeded event', async () => (await api.client.list<CoreEvent>(Resources.events, { namespace: 'default' })).items.some((e) => e.involvedObject.name === 'deadline' && e.reason === 'DeadlineExceeded'));
    // Never started again, and the reason stays through later syncs.
    await new Promise((r) => setTimeout(r, 500));
    const later = await getPod('deadline');
    expect(later.status?.containerStatuses?.[0].state?.terminated).toBeDefined();
    expect(later.status?.containerStatuses?.[0].restartCount).toBe(0);
    expect(later.status?.reason).toBe('DeadlineExceeded');
    await api.client.delete(Resources.pods, 'default', 'deadline');
    await waitFor('deadline gone', async () => getPod('deadline').then(() => false, (e) => isNotFound(e)));
  });

  test('a volume that cannot be set up: FailedMount, no sandbox, status ContainerCreating; the pod starts once its ConfigMap exists', async () => {
    await api.client.create(
      Resources.pods,
      'default',
      podManifest('nomount', {
        containers: [{ name: 'c', image: 'busybox:1.35', volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }],
        volumes: [{ name: 'cfg', configMap: { name: 'nomount-cfg' } }],
      }),
    );
    const p = await waitFor('a status written while the mount fails', async () => {
      const p = await getPod('nomount');
      return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating' && p;
    });
    expect(p.status?.phase).toBe('Pending');
    expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(p.status?.podIP).toBeUndefined();
    await waitFor('the FailedMount event', async () => {
      const events = await api.client.list<CoreEvent>(Resources.events, { namespace: 'default' });
      return events.items.some((e) => e.involvedObject.name === 'nomount' && e.reason === 'FailedMount' && /nomount-cfg/.test(e.message ?? ''));
    });
    expect((await runtime.listPodSandboxes()).some((sb) => sb.name === 'nomount')).toBe(false);
    // The image check begun with each try is not reported before a container start uses it.
    await waitFor('a retried mount', async () => {
      const evs = await api.client.list<CoreEvent>(Resources.events, { namespace: 'default' });
      return evs.items.some((e) => e.involvedObject.name === 'nomount' && e.reason === 'FailedMount' && (e.count ?? 1) >= 2);
    });
    const pulledFor = async () =>
      (await api.client.list<CoreEvent>(Resources.events, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === 'nomount' && e.reason === 'Pulled');
    expect(await pulledFor()).toEqual([]);
    await api.client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'nomount-cfg', namespace: 'default' }, data: { k: 'v' } });
    await waitFor('running once the ConfigMap exists', async () => (await getPod('nomount')).status?.phase === 'Running');
    await waitFor('the Pulled event', async () => (await pulledFor()).length === 1);
    expect((await pulledFor())[0].count ?? 1).toBe(1);
    await api.client.delete(Resources.pods, 'default', 'nomount');
    await waitFor('nomount gone', async () => getPod('nomount').then(() => false, (e) => isNotFound(e)));
  });

  test('an image that cannot be pulled shows ErrImagePull / ImagePullBackOff', async () => {
    const rt = runtime as unknown as { missing: Set<string> };
    rt.missing.add('nope:1');
    await api.client.create(Resources.pods, 'default', podManifest('badimg', { containers: [{ name: 'c', image: 'nope:1' }] }));
    const p = await waitFor('pull failure', async () => {
      const p = await getPod('badimg');
      const r = p.status?.containerStatuses?.[0].state?.waiting?.reason;
      return (r === 'ErrImagePull' || r === 'ImagePullBackOff') && p;
    });
    expect(p.status?.phase).toBe('Pending');
    await api.client.delete(Resources.pods, 'default', 'badimg');
    await waitFor('badimg gone', async () => getPod('badimg').then(() => false, (e) => isNotFound(e)));
  });
});
