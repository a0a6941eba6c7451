// The Deployment controller against a real in-process apiserver. Pods come from a small stand-in for
// the ReplicaSet controller defined below (it creates bound pods, marks them Ready after a delay and
// reports ReplicaSet status), so these tests exercise only the Deployment controller's behaviour.
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { isConflict, isNotFound, KubeClient } from '../../lib/client/client';
import type { ControllerContext } from '../../lib/client/controller';
import { EventRecorder } from '../../lib/client/events';
import { Informer } from '../../lib/client/informer';
import { Resources } from '../../lib/api/resources';
import { SharedInformerFactory } from '../../lib/client/shared-informers';
import { DeploymentController } from '../../controllers/deployment/controller';
import { RevisionAnnotation, RevisionHistoryAnnotation } from '../../controllers/deployment/util';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { sleep, waitFor } from '../helpers/wait';
import { computeTemplateHash } from '../../controllers/shared/template-hash';

const ns = 'default';


/**
 * A minimal ReplicaSet controller for these tests: keeps spec.replicas pods per ReplicaSet (bound to a
 * node, deleted at once), marks each Ready `readyDelayMs` after creating it, and writes ReplicaSet
 * status from what it has done. It is the only writer of these pods, so it tracks them itself.
 */
class ReplicaSetStandIn {
  private readonly informer: Informer<ReplicaSet>;
  private readonly pods = new Map<string, Map<string, { ready: boolean }>>(); // rs uid → pod name → state
  private readonly dirty = new Set<string>();
  private busy = false;
  private stopped = false;
  private seq = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly readyDelayMs: number,
  ) {
    this.informer = new Informer<ReplicaSet>(client, Resources.replicasets, { namespace: ns });
    const kick = (rs: ReplicaSet) => {
      this.dirty.add(rs.metadata!.name!);
      void this.drain();
    };
    this.informer.onAdd(kick);
    this.informer.onUpdate((_o, rs) => kick(rs));
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.stopped = true;
    this.informer.stop();
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.dirty.size > 0 && !this.stopped) {
        const name = this.dirty.values().next().value as string;
        this.dirty.delete(name);
        try {
          await this.reconcile(name);
        } catch (e) {
          if (this.stopped) return;
          if (!isConflict(e) && !isNotFound(e)) console.error('replicaset stand-in:', e);
          this.dirty.add(name);
          await sleep(20);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private async reconcile(name: string): Promise<void> {
    const rs = this.informer.get(ns, name);
    if (!rs) return;
    const uid = rs.metadata!.uid!;
    let mine = this.pods.get(uid);
    if (!mine) this.pods.set(uid, (mine = new Map()));
    const want = rs.spec?.replicas ?? 0;
    while (mine.size < want) {
      const podName = `${name}-${(this.seq++).toString(36)}`;
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: podName,
          namespace: ns,
          labels: { ...(rs.spec?.template?.metadata?.labels ?? {}) },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid, controller: true, blockOwnerDeletion: true }],
        },
        spec: { ...rs.spec!.template!.spec!, nodeName: 'node-1' },
      };
      await this.client.create<Pod>(Resources.pods, ns, pod);
      mine.set(podName, { ready: false });
      // Image "never-ready": a pod that starts but never passes its readiness probe.
      if (pod.spec!.containers[0].image !== 'never-ready') setTimeout(() => void this.markReady(name, uid, podName), this.readyDelayMs);
    }
    if (mine.size > want) {
      // Not-ready pods go first, like the real controller.
      const victims = [...mine.entries()].sort((a, b) => Number(a[1].ready) - Number(b[1].ready)).slice(0, mine.size - want);
      for (const [podName] of victims) {
        await this.client.delete(Resources.pods, ns, podName, { gracePeriodSeconds: 0 }).catch((e: unknown) => {
          if (!isNotFound(e)) throw e;
        });
        mine.delete(podName);
      }
    }
    const ready = [...mine.values()].filter((p) => p.ready).length;
    const fresh = await this.client.get<ReplicaSet>(Resources.replicasets, ns, name);
    await this.client.update<ReplicaSet>(
      Resources.replicasets,
      { ...fresh, status: { replicas: mine.size, fullyLabeledReplicas: mine.size, readyReplicas: ready, availableReplicas: ready, observedGeneration: fresh.metadata?.generation } },
      'status',
    );
  }

  private async markReady(rsName: string, uid: string, podName: string): Promise<void> {
    const state = this.pods.get(uid)?.get(podName);
    if (!state || this.stopped) return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    try {
      await this.client.patch<Pod>(
        Resources.pods,
        ns,
        podName,
        { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } },
        'merge',
        'status',
      );
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    state.ready = true;
    this.dirty.add(rsName);
    void this.drain();
  }
}

function deploymentManifest(name: string, replicas: number, image: string, strategy: Deployment['spec'] extends infer S ? (S extends { strategy?: infer T } ? T : never) : never): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy,
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } },
    },
  };
}

const isReady = (p: Pod) => !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

describe('Deployment controller (in-process apiserver)', () => {
  let srv: TestApiServer;
  let informers: SharedInformerFactory;
  let controller: DeploymentController;
  let standIn: ReplicaSetStandIn;
  let recorder: EventRecorder;

  beforeAll(async () => {
    srv = await startTestApiServer();
    informers = new SharedInformerFactory(srv.client);
    recorder = new EventRecorder(srv.client, { component: 'deployment-controller' });
    const ctx: ControllerContext = { client: srv.client, informers, recorder };
    controller = new DeploymentController(ctx, { workers: 2 });
    standIn = new ReplicaSetStandIn(srv.client, 150);
    await standIn.start();
    await controller.start();
  });

  afterAll(async () => {
    controller.stop();
    standIn.stop();
    informers.stop();
    await recorder.flush();
    await srv.stop();
  });

  const client = () => srv.client;
  const getDeploy = (name: string) => client().get<Deployment>(Resources.deployments, ns, name);
  const rsOf = async (d: Deployment) =>
    (await client().list<ReplicaSet>(Resources.replicasets, { namespace: ns })).items.filter((rs) => rs.metadata?.ownerReferences?.some((r) => r.uid === d.metadata?.uid));
  const podsOf = async (name: string) => (await client().list<Pod>(Resources.pods, { namespace: ns, labelSelector: `app=${name}` })).items;

  async function waitRolledOut(name: string, replicas: number): Promise<Deployment> {
    return waitFor(`${name} rolled out at ${replicas}`, async () => {
      const d = await getDeploy(name);
      const st = d.status ?? {};
      const done =
        (st.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
        (st.updatedReplicas ?? 0) === replicas &&
        (st.replicas ?? 0) === replicas &&
        (st.availableReplicas ?? 0) === replicas &&
        d.spec?.replicas === replicas;
      return done ? d : undefined;
    });
  }

  test('scales 1 → 3 → 10 → 0 through one ReplicaSet', async () => {
    await client().create<Deployment>(Resources.deployments, ns, deploymentManifest('scale', 1, 'nginx:1', { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }));
    let d = await waitRolledOut('scale', 1);
    for (const n of [3, 10, 0]) {
      await client().patch(Resources.deployments, ns, 'scale', { spec: { replicas: n } }, 'merge', 'scale');
      d = await waitRolledOut('scale', n);
      const rss = await rsOf(d);
      expect(rss).toHaveLength(1);
      expect(rss[0].spec?.replicas).toBe(n);
      expect((await podsOf('scale')).length).toBe(n);
    }
    const rs = (await rsOf(d))[0];
    const hash = rs.metadata!.labels!['pod-template-hash'];
    expect(rs.metadata!.name).toBe(`scale-${hash}`);
    expect(rs.spec!.selector.matchLabels).toEqual({ app: 'scale', 'pod-template-hash': hash });
    expect(rs.metadata!.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'scale', uid: d.metadata!.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(rs.metadata!.annotations![RevisionAnnotation]).toBe('1');
    expect(d.metadata!.annotations![RevisionAnnotation]).toBe('1');
    expect(d.status!.conditions!.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(d.status!.conditions!.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    await recorder.flush();
    const events = (await client().list<{ reason?: string; message?: string; involvedObject?: { name?: string } }>(Resources.events, { namespace: ns })).items.filter(
      (e) => e.involvedObject?.name === 'scale' && e.reason === 'ScalingReplicaSet',
    );
    expect(events.map((e) => e.message)).toEqual(expect.arrayContaining([`Scaled up replica set ${rs.metadata!.name} to 3`, `Scaled down replica set ${rs.metadata!.name} to 0`]));
  });

  test('rolling update with maxUnavailable 0 never drops below replicas ready; rollout undo re-uses the old ReplicaSet', async () => {
    await client().create<Deployment>(Resources.deployments, ns, deploymentManifest('roll', 3, 'nginx:1', { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }));
    let d = await waitRolledOut('roll', 3);
    const [firstRS] = await rsOf(d);

    // Watch every pod change from now on and record the fewest Ready pods ever seen.
    const podInformer = new Informer<Pod>(client(), Resources.pods, { namespace: ns, labelSelector: 'app=roll' });
    // maxSurge bounds the ReplicaSets' summed spec.replicas (pods being removed may linger, as in Kubernetes).
    const rsInformer = new Informer<ReplicaSet>(client(), Resources.replicasets, { namespace: ns });
    let minReady = Number.POSITIVE_INFINITY;
    let maxSpecTotal = 0;
    const check = () => {
      minReady = Math.min(minReady, podInformer.list().filter(isReady).length);
    };
    const checkRS = () => {
      const total = rsInformer.list().filter((rs) => rs.metadata?.labels?.app === 'roll').reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
      maxSpecTotal = Math.max(maxSpecTotal, total);
    };
    podInformer.onAdd(check);
    podInformer.onUpdate(check);
    podInformer.onDelete(check);
    rsInformer.onAdd(checkRS);
    rsInformer.onUpdate(checkRS);
    await podInformer.start();
    await rsInformer.start();
    check();
    try {
      await client().patch(Resources.deployments, ns, 'roll', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } }, 'strategic');
      d = await waitFor('second revision rolled out', async () => {
        const x = await waitRolledOut('roll', 3);
        const rss = await rsOf(x);
        return rss.length === 2 && rss.every((rs) => (rs.status?.replicas ?? 0) === (rs.spec?.replicas ?? 0)) ? x : undefined;
      });
    } finally {
      podInformer.stop();
      rsInformer.stop();
    }
    expect(minReady).toBeGreaterThanOrEqual(3);
    expect(maxSpecTotal).toBe(4); // replicas + maxSurge, reached and never passed
    let rss = await rsOf(d);
    const secondRS = rss.find((rs) => rs.metadata!.uid !== firstRS.metadata!.uid)!;
    expect(secondRS.spec!.replicas).toBe(3);
    expect(rss.find((rs) => rs.metadata!.uid === firstRS.metadata!.uid)!.spec!.replicas).toBe(0);
    expect(secondRS.metadata!.annotations![RevisionAnnotation]).toBe('2');
    expect(d.metadata!.annotations![RevisionAnnotation]).toBe('2');
    expect((await podsOf('roll')).map((p) => p.spec!.containers[0].image)).toEqual(['nginx:2', 'nginx:2', 'nginx:2']);

    // `kubectl rollout undo` on apps/v1: write revision 1's template back (JSON patch, as kubectl does).
    const template = structuredClone(firstRS.spec!.template!);
    delete template.metadata!.labels!['pod-template-hash'];
    await client().patch(Resources.deployments, ns, 'roll', [{ op: 'replace', path: '/spec/template', value: template }], 'json');
    d = await waitFor('undo rolled out', async () => {
      const x = await waitRolledOut('roll', 3);
      const back = (await rsOf(x)).find((rs) => rs.metadata!.uid === firstRS.metadata!.uid);
      return back && back.spec!.replicas === 3 && (back.status?.availableReplicas ?? 0) === 3 ? x : undefined;
    });
    rss = await rsOf(d);
    expect(rss).toHaveLength(2); // re-used, not a third ReplicaSet
    const restored = rss.find((rs) => rs.metadata!.uid === firstRS.metadata!.uid)!;
    expect(restored.metadata!.annotations![RevisionAnnotation]).toBe('3');
    expect(restored.metadata!.annotations![RevisionHistoryAnnotation]).toBe('1');
    expect(d.metadata!.annotations![RevisionAnnotation]).toBe('3');
    expect(d.spec!.template!.spec!.containers[0].image).toBe('nginx:1');
    expect((await podsOf('roll')).map((p) => p.spec!.containers[0].image)).toEqual(['nginx:1', 'nginx:1', 'nginx:1']);
  });

  test('Recreate: old pods are all gone before new ones are made', async () => {
    await client().create<Deployment>(Resources.deployments, ns, deploymentManifest('recreate', 2, 'nginx:1', { type: 'Recreate' }));
    await waitRolledOut('recreate', 2);
    const podInformer = new Informer<Pod>(client(), Resources.pods, { namespace: ns, labelSelector: 'app=recreate' });
    let mixed = false;
    const check = () => {
      const images = new Set(podInformer.list().map((p) => p.spec!.containers[0].image));
      if (images.size > 1) mixed = true;
    };
    podInformer.onAdd(check);
    podInformer.onUpdate(check);
    await podInformer.start();
    try {
      await client().patch(Resources.deployments, ns, 'recreate', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } }, 'strategic');
      await waitFor('recreate rolled out', async () => {
        const d = await waitRolledOut('recreate', 2);
        const pods = await podsOf('recreate');
        return pods.length === 2 && pods.every((p) => p.spec!.containers[0].image === 'nginx:2') ? d : undefined;
      });
    } finally {
      podInformer.stop();
    }
    expect(mixed).toBe(false);
  });

  test('paused: a template change waits for resume', async () => {
    await client().create<Deployment>(Resources.deployments, ns, deploymentManifest('paused', 1, 'nginx:1', { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }));
    await waitRolledOut('paused', 1);
    await client().patch(Resources.deployments, ns, 'paused', { spec: { paused: true, template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } }, 'strategic');
    const d = await waitFor('paused observed', async () => {
      const x = await getDeploy('paused');
      return x.status?.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'DeploymentPaused') ? x : undefined;
    });
    await sleep(300);
    expect(await rsOf(d)).toHaveLength(1);
    await client().patch(Resources.deployments, ns, 'paused', { spec: { paused: false } }, 'merge');
    await waitFor('resumed rollout', async () => {
      const x = await waitRolledOut('paused', 1);
      const pods = await podsOf('paused');
      return pods.length === 1 && pods[0].spec!.containers[0].image === 'nginx:2' ? x : undefined;
    });
  });

  test('a rollout that stops moving gets Progressing=False/ProgressDeadlineExceeded after progressDeadlineSeconds', async () => {
    const manifest = deploymentManifest('stuck', 2, 'nginx:1', { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    manifest.spec!.progressDeadlineSeconds = 2;
    await client().create<Deployment>(Resources.deployments, ns, manifest);
    await waitRolledOut('stuck', 2);
    const started = Date.now();
    await client().patch(Resources.deployments, ns, 'stuck', { spec: { template: { spec: { containers: [{ name: 'web', image: 'never-ready' }] } } } }, 'strategic');
    const d = await waitFor('deadline exceeded', async () => {
      const x = await getDeploy('stuck');
      return x.status?.conditions?.some((c) => c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded') ? x : undefined;
    });
    // Condition times have whole-second precision (as in Kubernetes), so the deadline can pass up to 1 s early.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    // The old pods keep serving: maxUnavailable 0 means none of them was taken away.
    expect(d.status!.availableReplicas).toBe(2);
    expect(d.status!.conditions!.find((c) => c.type === 'Available')).toMatchObject({ status: 'True' });
  });

  test('a name collision with a foreign ReplicaSet bumps collisionCount and uses another hash', async () => {
    const manifest = deploymentManifest('clash', 1, 'nginx:1', { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    manifest.spec!.paused = true; // paused: no ReplicaSet yet, but the server has defaulted the template
    const created = await client().create<Deployment>(Resources.deployments, ns, manifest);
    const hash = computeTemplateHash(created.spec!.template, undefined);
    await client().create<ReplicaSet>(Resources.replicasets, ns, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `clash-${hash}`, namespace: ns, labels: { app: 'squatter' } },
      spec: { replicas: 0, selector: { matchLabels: { app: 'squatter' } }, template: { metadata: { labels: { app: 'squatter' } }, spec: { containers: [{ name: 'x', image: 'x' }] } } },
    });
    await client().patch(Resources.deployments, ns, 'clash', { spec: { paused: false } }, 'merge');
    const d = await waitRolledOut('clash', 1);
    expect(d.status!.collisionCount).toBe(1);
    const rss = await rsOf(d);
    expect(rss).toHaveLength(1);
    expect(rss[0].metadata!.name).toBe(`clash-${computeTemplateHash(created.spec!.template, 1)}`);
    const squatter = await client().get<ReplicaSet>(Resources.replicasets, ns, `clash-${hash}`);
    expect(squatter.metadata!.ownerReferences ?? []).toEqual([]);
  });

  test('adopts an orphaned ReplicaSet that matches its selector instead of creating one', async () => {
    const orphanTemplate = { metadata: { labels: { app: 'adopt', 'pod-template-hash': 'orphan' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } };
    await client().create<ReplicaSet>(Resources.replicasets, ns, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'adopt-orphan', namespace: ns, labels: { app: 'adopt', 'pod-template-hash': 'orphan' } },
      spec: { replicas: 1, selector: { matchLabels: { app: 'adopt', 'pod-template-hash': 'orphan' } }, template: orphanTemplate },
    });
    // Created paused: the Deployment and ReplicaSet watches are separate streams, so the controller may
    // see the Deployment before the orphan; paused, it creates nothing until the orphan is adopted.
    const manifest = deploymentManifest('adopt', 2, 'nginx:1', { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    manifest.spec!.paused = true;
    const created = await client().create<Deployment>(Resources.deployments, ns, manifest);
    await waitFor('orphan adopted', async () => {
      const rs = await client().get<ReplicaSet>(Resources.replicasets, ns, 'adopt-orphan');
      return rs.metadata?.ownerReferences?.some((r) => r.uid === created.metadata?.uid && r.controller) ?? false;
    });
    await client().patch(Resources.deployments, ns, 'adopt', { spec: { paused: false } }, 'merge');
    const d = await waitRolledOut('adopt', 2);
    const rss = await rsOf(d);
    expect(rss.map((rs) => rs.metadata!.name)).toEqual(['adopt-orphan']);
    expect(rss[0].spec!.replicas).toBe(2);
  });
});

// The real kubectl reads the status this controller writes: rollout status must finish, rollout undo
// (client-side on apps/v1) must bring the old ReplicaSet back.
const kubectlWorks = fs.existsSync('/usr/bin/kubectl') && spawnSync('/usr/bin/kubectl', ['version', '--client'], { timeout: 20_000, env: { ...process.env, HOME: os.tmpdir() } }).status === 0;

(kubectlWorks ? describe : describe.skip)('kubectl rollout against the Deployment controller', () => {
  let srv: TestApiServer;
  let informers: SharedInformerFactory;
  let controller: DeploymentController;
  let standIn: ReplicaSetStandIn;
  let recorder: EventRecorder;
  let home: string;

  beforeAll(async () => {
    srv = await startTestApiServer();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-kubectl-deploy-'));
    informers = new SharedInformerFactory(srv.client);
    recorder = new EventRecorder(srv.client, { component: 'deployment-controller' });
    controller = new DeploymentController({ client: srv.client, informers, recorder });
    standIn = new ReplicaSetStandIn(srv.client, 100);
    await standIn.start();
    await controller.start();
  });
  afterAll(async () => {
    controller.stop();
    standIn.stop();
    informers.stop();
    await recorder.flush(); // events are written a moment after they are recorded
    await srv.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const kubectl = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile('/usr/bin/kubectl', ['--kubeconfig', srv.kubeconfigPath, ...args], { env: { ...process.env, HOME: home, KUBECONFIG: srv.kubeconfigPath }, timeout: 40_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });

  test('rollout status finishes; set image; rollout undo; rollout history', async () => {
    await srv.client.create<Deployment>(Resources.deployments, ns, deploymentManifest('kc', 2, 'nginx:1', { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }));
    let r = await kubectl('rollout', 'status', 'deployment/kc', '--timeout=30s');
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('deployment "kc" successfully rolled out');

    r = await kubectl('set', 'image', 'deployment/kc', 'web=nginx:2');
    expect(r.code).toBe(0);
    r = await kubectl('rollout', 'status', 'deployment/kc', '--timeout=30s');
    expect(r.stdout).toContain('successfully rolled out');

    r = await kubectl('rollout', 'undo', 'deployment/kc');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    r = await kubectl('rollout', 'status', 'deployment/kc', '--timeout=30s');
    expect(r.stdout).toContain('successfully rolled out');
    const d = await srv.client.get<Deployment>(Resources.deployments, ns, 'kc');
    expect(d.spec!.template!.spec!.containers[0].image).toBe('nginx:1');
    expect(d.metadata!.annotations![RevisionAnnotation]).toBe('3');
    const rss = (await srv.client.list<ReplicaSet>(Resources.replicasets, { namespace: ns })).items;
    expect(rss).toHaveLength(2);

    r = await kubectl('rollout', 'history', 'deployment/kc');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\n2 /);
    expect(r.stdout).toMatch(/\n3 /);

    // rollout restart: a template annotation change → a new ReplicaSet and a finished rollout.
    r = await kubectl('rollout', 'restart', 'deployment/kc');
    expect(r.code).toBe(0);
    r = await kubectl('rollout', 'status', 'deployment/kc', '--timeout=30s');
    expect(r.stdout).toContain('successfully rolled out');
    const after = (await srv.client.list<ReplicaSet>(Resources.replicasets, { namespace: ns })).items;
    expect(after).toHaveLength(3);
  });
});
