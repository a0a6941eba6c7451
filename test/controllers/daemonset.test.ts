// The DaemonSet controller against a real in-process apiserver and hollow (fake-runtime) node agents,
// which run the daemon pods and report them Running and Ready.
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DaemonSet } from 'kubernetes-types/apps/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { ControllerContext } from '../../lib/client/controller';
import { EventRecorder } from '../../lib/client/events';
import { Resources } from '../../lib/api/resources';
import { SharedInformerFactory } from '../../lib/client/shared-informers';
import { DaemonSetController } from '../../controllers/daemonset/controller';
import { ControllerRevisionHashLabel } from '../../controllers/daemonset/util';
import { HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { sleep, waitForWithin } from '../helpers/wait';

const waitFor = waitForWithin(30000);

const ns = 'default';


describe('DaemonSet controller (in-process apiserver, hollow nodes)', () => {
  let srv: TestApiServer;
  let informers: SharedInformerFactory;
  let controller: DaemonSetController;
  let recorder: EventRecorder;
  const hollow: HollowNodes[] = [];

  beforeAll(async () => {
    srv = await startTestApiServer();
    hollow.push(await startHollowNodes({ client: srv.client, count: 3, namePrefix: 'ds-node-', port: false, leaseRenewIntervalMs: 2000, log: () => undefined }));
    informers = new SharedInformerFactory(srv.client);
    recorder = new EventRecorder(srv.client, { component: 'daemonset-controller' });
    const ctx: ControllerContext = { client: srv.client, informers, recorder };
    controller = new DaemonSetController(ctx, { workers: 2 });
    await controller.start();
  });

  afterAll(async () => {
    controller.stop();
    informers.stop();
    await recorder.flush();
    for (const h of hollow) await h.stop();
    await srv.stop();
  });

  const podsOf = async () => (await srv.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: 'app=agent' })).items.filter((p) => !p.metadata?.deletionTimestamp);
  const getDs = () => srv.client.get<DaemonSet>(Resources.daemonsets, ns, 'agent');
  const readyOn = (pods: Pod[]) => pods.filter((p) => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')).map((p) => p.spec!.nodeName!).sort();

  async function waitSettled(desired: number, image: string): Promise<{ ds: DaemonSet; pods: Pod[] }> {
    return waitFor(`${desired} ready ${image} daemon pods`, async () => {
      const ds = await getDs();
      const pods = await podsOf();
      const st = ds.status;
      const ok =
        st?.observedGeneration === ds.metadata?.generation &&
        st?.desiredNumberScheduled === desired &&
        st?.currentNumberScheduled === desired &&
        st?.updatedNumberScheduled === desired &&
        st?.numberAvailable === desired &&
        st?.numberReady === desired &&
        (st?.numberUnavailable ?? 0) === 0 &&
        pods.length === desired &&
        pods.every((p) => p.spec!.containers[0].image === image);
      return ok ? { ds, pods } : undefined;
    });
  }

  test('one pod per node; a 4th node gets one; an untolerated taint gets none; a removed node loses its pod; rolling update', async () => {
    await srv.client.create<DaemonSet>(Resources.daemonsets, ns, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: ns },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'agent:1' }] } },
      },
    });
    let { pods } = await waitSettled(3, 'agent:1');
    expect(readyOn(pods)).toEqual(['ds-node-0', 'ds-node-1', 'ds-node-2']);
    for (const p of pods) {
      expect(p.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'DaemonSet', name: 'agent', controller: true })]);
      expect(p.metadata!.labels![ControllerRevisionHashLabel]).toBeTruthy();
    }

    // A 4th node joins.
    hollow.push(await startHollowNodes({ client: srv.client, count: 1, namePrefix: 'ds-late-', port: false, leaseRenewIntervalMs: 2000, log: () => undefined }));
    ({ pods } = await waitSettled(4, 'agent:1'));
    expect(readyOn(pods)).toEqual(['ds-late-0', 'ds-node-0', 'ds-node-1', 'ds-node-2']);

    // A node whose taint the pods do not tolerate gets none (a bare Node object: no agent runs on it).
    await srv.client.create<Node>(Resources.nodes, undefined, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'ds-tainted', labels: { 'kubernetes.io/hostname': 'ds-tainted' } },
      spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
    });
    // A bare node that does qualify, to be removed again.
    await srv.client.create<Node>(Resources.nodes, undefined, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'ds-doomed', labels: { 'kubernetes.io/hostname': 'ds-doomed' } },
      spec: {},
    });
    await waitFor('a pod on ds-doomed', async () => (await podsOf()).some((p) => p.spec!.nodeName === 'ds-doomed'));
    await sleep(300);
    expect((await podsOf()).some((p) => p.spec!.nodeName === 'ds-tainted')).toBe(false);
    const withDoomed = await getDs();
    expect(withDoomed.status!.desiredNumberScheduled).toBe(5);
    await srv.client.request('DELETE', `/api/v1/nodes/ds-doomed`);
    await waitFor('the removed node’s pod deleted', async () => !(await podsOf()).some((p) => p.spec!.nodeName === 'ds-doomed'));
    await waitSettled(4, 'agent:1');

    // Rolling update: never more than maxUnavailable (1) of the 4 nodes without an available pod.
    let worst = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const current = await podsOf();
        const covered = new Set(readyOn(current));
        worst = Math.max(worst, 4 - ['ds-late-0', 'ds-node-0', 'ds-node-1', 'ds-node-2'].filter((n) => covered.has(n)).length);
        await sleep(20);
      }
    })();
    await srv.client.patch(Resources.daemonsets, ns, 'agent', { spec: { template: { spec: { containers: [{ name: 'agent', image: 'agent:2' }] } } } }, 'strategic');
    try {
      ({ pods } = await waitSettled(4, 'agent:2'));
    } finally {
      polling = false;
      await poll;
    }
    expect(readyOn(pods)).toEqual(['ds-late-0', 'ds-node-0', 'ds-node-1', 'ds-node-2']);
    expect(worst).toBeLessThanOrEqual(1);
    expect(worst).toBe(1); // pods really were replaced one at a time
  });

  const kubectlWorks = fs.existsSync('/usr/bin/kubectl') && spawnSync('/usr/bin/kubectl', ['version', '--client'], { timeout: 20_000, env: { ...process.env, HOME: os.tmpdir() } }).status === 0;
  (kubectlWorks ? test : test.skip)('kubectl rollout status daemonset reads the status and finishes', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-kubectl-ds-'));
    try {
      await srv.client.patch(Resources.daemonsets, ns, 'agent', { spec: { template: { spec: { containers: [{ name: 'agent', image: 'agent:3' }] } } } }, 'strategic');
      const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile('/usr/bin/kubectl', ['--kubeconfig', srv.kubeconfigPath, 'rollout', 'status', 'daemonset/agent', '--timeout=40s'], { env: { ...process.env, HOME: home, KUBECONFIG: srv.kubeconfigPath }, timeout: 50_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('daemon set "agent" successfully rolled out');
      expect(r.code).toBe(0);
      expect((await podsOf()).map((p) => p.spec!.containers[0].image)).toEqual(['agent:3', 'agent:3', 'agent:3', 'agent:3']);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
