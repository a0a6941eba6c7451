// The HA control plane under faults (issue 15), as separate processes on one machine (bench/ha-cluster.ts):
// 3 etcd members, 2 `steer apiserver --storage etcd`, 2 leader-elected schedulers and controller managers,
// hollow nodes (Node objects; no runtime is needed to schedule and create pods). Each fault case prints
// what was lost — which must be nothing — and the times it measured.
import type { Lease } from 'kubernetes-types/coordination/v1';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { ConfigMap, Endpoints, Node, Pod, Service } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { ApiError, isNotFound, KubeClient, WatchHandle } from '../../lib/client/client';
import { HaCluster, longestGapAfter, Proc, rawPuts, writers } from '../../bench/ha-cluster';
import { sleep, waitFor } from '../helpers/wait';

jest.setTimeout(240_000);

let cluster: HaCluster;
const clients: KubeClient[] = [];
const client = (server: string) => {
  const c = KubeClient.forServer(server);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  cluster = await HaCluster.start({ etcdMembers: 3, apiservers: 2 });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
});

const report = (line: string) => process.stdout.write(`  [ha] ${line}\n`);

/** The ports default/kubernetes' Endpoints name. */
async function kubernetesEndpointPorts(c: KubeClient): Promise<number[]> {
  const ep = await c.get<Endpoints>(Resources.endpoints, 'default', 'kubernetes');
  return (ep.subsets ?? []).flatMap((s) => (s.ports ?? []).map((p) => p.port)).sort();
}

async function configMapNames(c: KubeClient, prefix: string): Promise<Set<string>> {
  const list = await c.list<ConfigMap>(Resources.configmaps, { namespace: 'default' });
  return new Set(list.items.map((o) => o.metadata!.name!).filter((n) => n.startsWith(`${prefix}-`)));
}

test('default/kubernetes lists both apiservers', async () => {
  const c = client(cluster.servers);
  const want = cluster.apiservers.map((a) => a.port).sort();
  await waitFor('both apiservers in default/kubernetes', async () => JSON.stringify(await kubernetesEndpointPorts(c)) === JSON.stringify(want), 20_000);
  const leases = await c.list<Lease>(Resources.leases, { namespace: 'kube-system', labelSelector: 'apiserver.kubernetes.io/identity=kube-apiserver' });
  expect(leases.items.map((l) => l.metadata!.name).sort()).toEqual(cluster.apiservers.map((a) => `apiserver-127-0-0-1-${a.port}`).sort());
});

test('the same object updated through both apiservers with one stale resourceVersion: one 200, one 409', async () => {
  const [a, b] = cluster.apiservers.map((x) => client(x.url));
  const cm = await a.create<ConfigMap>(Resources.configmaps, 'default', { metadata: { name: 'stale' }, data: { v: '0' } });
  const results = await Promise.allSettled([
    a.update<ConfigMap>(Resources.configmaps, { ...cm, data: { v: 'a' } }),
    b.update<ConfigMap>(Resources.configmaps, { ...cm, data: { v: 'b' } }),
  ]);
  const ok = results.filter((r) => r.status === 'fulfilled') as Array<PromiseFulfilledResult<ConfigMap>>;
  const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
  expect(ok).toHaveLength(1);
  expect(failed).toHaveLength(1);
  expect(failed[0].reason).toBeInstanceOf(ApiError);
  expect((failed[0].reason as ApiError).code).toBe(409);
  expect((failed[0].reason as ApiError).reason).toBe('Conflict');
  // The winner's write is what both apiservers now read; nothing else happened to the object.
  for (const c of [a, b]) expect((await c.get<ConfigMap>(Resources.configmaps, 'default', 'stale')).data).toEqual(ok[0].value.data);
  report(`stale resourceVersion through both apiservers: 1 × 200, 1 × 409 (${(failed[0].reason as ApiError).message})`);
});

test('200 Services created in parallel through both apiservers: all ClusterIPs and NodePorts distinct', async () => {
  const [a, b] = cluster.apiservers.map((x) => client(x.url));
  const created = await Promise.all(
    Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).create<Service>(Resources.services, 'default', { metadata: { name: `svc-${i}` }, spec: { type: 'NodePort', ports: [{ port: 80 }] } })),
  );
  const ips = created.map((s) => s.spec!.clusterIP);
  const ports = created.map((s) => s.spec!.ports![0].nodePort);
  const stored = (await a.list<Service>(Resources.services, {})).items;
  const allIps = stored.map((s) => s.spec!.clusterIP);
  const allPorts = stored.flatMap((s) => (s.spec!.ports ?? []).map((p) => p.nodePort).filter((p) => p !== undefined));
  report(`200 parallel Services: ${new Set(ips).size} distinct ClusterIPs, ${new Set(ports).size} distinct NodePorts; cluster-wide duplicates: ${allIps.length - new Set(allIps).size} IPs, ${allPorts.length - new Set(allPorts).size} ports`);
  expect(new Set(ips).size).toBe(200);
  expect(new Set(ports).size).toBe(200);
  expect(new Set(allIps).size).toBe(allIps.length);
  expect(new Set(allPorts).size).toBe(allPorts.length);
  await Promise.all(created.map((s, i) => (i % 2 ? a : b).delete(Resources.services, 'default', s.metadata!.name!)));
});

test('kill -9 of the etcd leader while writers run: writes resume within 2 s, every acknowledged write is there', async () => {
  const c = client(cluster.servers);
  const leader = await cluster.etcdLeader();
  const w = writers(c, 'etcdkill', 8);
  // The floor: raw etcd puts to the surviving members, in the same seconds — etcd's own election.
  const raw = rawPuts(cluster.etcd.endpoints.filter((e) => e !== leader.clientUrl));
  await waitFor('writes to flow', () => w.acked.length >= 50 && raw.acked.length >= 10, 30_000);
  // Two deleters remove ConfigMaps made for them beforehand, through the same failover.
  const doomed: string[] = [];
  for (let i = 0; i < 150; i += 50) {
    const names = Array.from({ length: 50 }, (_, j) => `etcddel-${i + j}`);
    await Promise.all(names.map((name) => c.create<ConfigMap>(Resources.configmaps, 'default', { metadata: { name } })));
    doomed.push(...names);
  }
  const deleted: Array<{ name: string; at: number }> = [];
  let deleting = true;
  const deleters = [0, 1].map(async () => {
    for (let name = doomed.shift(); deleting && name; name = doomed.shift()) {
      for (;;) {
        try {
          await c.delete(Resources.configmaps, 'default', name);
          break;
        } catch (err) {
          if (isNotFound(err)) break; // an earlier attempt whose answer was lost did it
          await sleep(50);
        }
      }
      deleted.push({ name, at: Date.now() });
      // At about the writers' pace, so that the pool lasts well past the kill.
      await sleep(40);
    }
  });
  await waitFor('deletes to flow', () => deleted.length >= 10, 30_000);
  const killedAt = Date.now();
  cluster.killEtcdMember(leader);
  await waitFor(
    'writes and deletes after the kill',
    () => w.acked.filter((x) => x.at > killedAt + 3000).length >= 20 && deleted.filter((x) => x.at > killedAt + 3000).length >= 5 && raw.acked.some((x) => x.at > killedAt + 3000),
    30_000,
  );
  deleting = false;
  await Promise.all([w.stop(), raw.stop(), ...deleters]);
  const gap = longestGapAfter(w.acked, killedAt);
  const deleteGap = longestGapAfter(deleted, killedAt);
  const rawGap = longestGapAfter(raw.acked, killedAt);
  const present = await configMapNames(client(cluster.apiservers[1].url), 'etcdkill');
  const lost = w.acked.filter((x) => !present.has(x.name)).map((x) => x.name);
  const remaining = await configMapNames(client(cluster.apiservers[1].url), 'etcddel');
  const undead = deleted.filter((d) => remaining.has(d.name)).map((d) => d.name);
  report(
    `etcd leader ${leader.name} kill -9: ${w.acked.length} acknowledged writes, lost ${lost.length}; ${deleted.length} acknowledged deletes, still there ${undead.length}; ` +
      `longest time without an acknowledged write after the kill ${gap} ms, without a delete ${deleteGap} ms (raw etcd puts to the survivors: ${rawGap} ms); ${w.errors()} failed attempts (retried)`,
  );
  expect(lost).toEqual([]);
  expect(undead).toEqual([]);
  // 2 s assumes etcd elects within its usual 1–1.5 s; when this machine holds etcd's own election up
  // longer, steer is held to etcd's figure instead (within the 150 ms retry cadence and a write's time).
  const bound = Math.max(2000, rawGap + 400);
  expect(gap).toBeLessThanOrEqual(bound);
  expect(deleteGap).toBeLessThanOrEqual(bound);
});

/** The holder of a kube-system Lease ('' when none). */
async function holder(c: KubeClient, name: string): Promise<string> {
  try {
    return (await c.get<Lease>(Resources.leases, 'kube-system', name)).spec?.holderIdentity ?? '';
  } catch {
    return '';
  }
}

function hollowNode(name: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: {
      capacity: { cpu: '8', memory: '16Gi', pods: '110' },
      allocatable: { cpu: '8', memory: '16Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
    },
  };
}

/** Records every pod ADDED and DELETED in a namespace from now on (resuming on errors, as an informer). */
async function podEvents(c: KubeClient, namespace: string) {
  const added: string[] = [];
  const deleted: string[] = [];
  let rv = (await c.list<Pod>(Resources.pods, { namespace })).metadata.resourceVersion ?? '';
  let handle: WatchHandle | undefined;
  let stopped = false;
  const run = async () => {
    if (stopped) return;
    handle = await c.watch<Pod>(
      Resources.pods,
      { namespace, resourceVersion: rv, allowWatchBookmarks: true },
      (e) => {
        rv = e.object.metadata?.resourceVersion ?? rv;
        if (e.type === 'ADDED') added.push(e.object.metadata!.name!);
        if (e.type === 'DELETED') deleted.push(e.object.metadata!.name!);
      },
      () => void sleep(200).then(run),
    );
  };
  await run();
  return {
    added,
    deleted,
    stop() {
      stopped = true;
      handle?.stop();
    },
  };
}

async function boundPods(c: KubeClient, namespace: string): Promise<Pod[]> {
  return (await c.list<Pod>(Resources.pods, { namespace })).items.filter((p) => p.spec?.nodeName && !p.metadata?.deletionTimestamp);
}

let deploymentClient: KubeClient;

test('kill -9 of the active controller manager and scheduler: the standbys take over within 8 s, a Deployment scaled meanwhile converges, no pod created twice', async () => {
  const c = client(cluster.servers);
  deploymentClient = c;
  for (let i = 1; i <= 3; i++) await c.create<Node>(Resources.nodes, undefined, hollowNode(`hollow-${i}`));
  const procs: Proc[] = [];
  for (const name of ['cm-1', 'cm-2']) procs.push(await cluster.startControllers(name));
  for (const name of ['sched-1', 'sched-2']) procs.push(await cluster.startScheduler(name));
  await c.create(Resources.namespaces, undefined, { metadata: { name: 'ha' } });
  const events = await podEvents(c, 'ha');
  await c.create<Deployment>(Resources.deployments, 'ha', {
    metadata: { name: 'web' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'example/web:1' }] } } },
  });
  await waitFor('3 pods bound', async () => (await boundPods(c, 'ha')).length === 3, 60_000);

  const cmLeader = await waitFor('a controller manager leader', () => holder(c, 'steer-controller-manager'));
  const schedLeader = await waitFor('a scheduler leader', () => holder(c, 'kube-scheduler'));
  const cmProc = procs.find((p) => p.name === cmLeader)!;
  const schedProc = procs.find((p) => p.name.startsWith('sched-') && p.output().includes(`${schedLeader} became leader`))!;
  expect(cmProc).toBeDefined();
  expect(schedProc).toBeDefined();
  const killedAt = Date.now();
  await Promise.all([cmProc.kill9(), schedProc.kill9()]);
  await c.patch(Resources.deployments, 'ha', 'web', { spec: { replicas: 6 } });

  let cmTakeover = 0;
  let schedTakeover = 0;
  await waitFor('both standbys to lead', async () => {
    if (!cmTakeover && ![cmLeader, ''].includes(await holder(c, 'steer-controller-manager'))) cmTakeover = Date.now() - killedAt;
    if (!schedTakeover && ![schedLeader, ''].includes(await holder(c, 'kube-scheduler'))) schedTakeover = Date.now() - killedAt;
    return cmTakeover && schedTakeover;
  }, 30_000, 100);
  await waitFor('6 pods bound', async () => (await boundPods(c, 'ha')).length === 6, 60_000);
  await sleep(1500); // a double create would show up by now
  events.stop();
  const pods = (await c.list<Pod>(Resources.pods, { namespace: 'ha' })).items;
  const createdTwice = events.added.length - new Set(events.added).size;
  report(`controller manager ${cmLeader} and scheduler kill -9: standby controller manager led after ${cmTakeover} ms, standby scheduler after ${schedTakeover} ms; pods created ${events.added.length} for 6 replicas, deleted ${events.deleted.length}, created twice ${createdTwice}`);
  expect(cmTakeover).toBeLessThanOrEqual(8000);
  expect(schedTakeover).toBeLessThanOrEqual(8000);
  expect(pods).toHaveLength(6);
  expect(events.added.length).toBe(6);
  expect(createdTwice).toBe(0);
  expect(events.deleted).toEqual([]);
});

test('kill -9 of one apiserver while clients write and watch through it: they move to the other, nothing lost, the watch resumes without gaps or duplicates', async () => {
  const [dead, survivor] = cluster.apiservers;
  // The clients prefer the apiserver that will die.
  const writerClient = client(`${dead.url},${survivor.url}`);
  const watchClient = client(`${dead.url},${survivor.url}`);
  const seen: Array<{ type: string; name: string; rv: number }> = [];
  let rv = (await watchClient.list<ConfigMap>(Resources.configmaps, { namespace: 'default' })).metadata.resourceVersion ?? '';
  const servedBy: string[] = [];
  let handle: WatchHandle | undefined;
  let stopped = false;
  const watch = async (): Promise<void> => {
    if (stopped) return;
    servedBy.push(watchClient.server.origin);
    handle = await watchClient.watch<ConfigMap>(
      Resources.configmaps,
      { namespace: 'default', resourceVersion: rv, allowWatchBookmarks: true },
      (e) => {
        if (e.type === 'BOOKMARK' || e.type === 'ERROR') return;
        rv = e.object.metadata!.resourceVersion!;
        if (e.object.metadata!.name!.startsWith('apikill-')) seen.push({ type: e.type, name: e.object.metadata!.name!, rv: Number(rv) });
      },
      // As an informer: resume from the last resourceVersion seen (on the next apiserver after an error).
      () => void sleep(100).then(watch),
    );
  };
  await watch();
  const w = writers(writerClient, 'apikill', 4);
  await waitFor('writes to flow', () => w.acked.length >= 40, 30_000);
  const killedAt = Date.now();
  await dead.kill9();
  await waitFor('writes after the kill', () => w.acked.filter((x) => x.at > killedAt + 2000).length >= 20, 30_000);
  await w.stop();
  const gap = longestGapAfter(w.acked, killedAt);
  const present = await configMapNames(client(survivor.url), 'apikill');
  await waitFor('the watch to catch up', () => seen.length >= present.size, 20_000);
  stopped = true;
  handle?.stop();
  const lost = w.acked.filter((x) => !present.has(x.name)).map((x) => x.name);
  const names = seen.map((e) => e.name);
  const duplicates = names.length - new Set(names).size;
  const missed = [...present].filter((n) => !names.includes(n));
  const outOfOrder = seen.filter((e, i) => i > 0 && e.rv <= seen[i - 1].rv).length;
  report(`apiserver :${dead.port} kill -9: ${w.acked.length} acknowledged writes, lost ${lost.length}; writes resumed on :${survivor.port} within ${gap} ms; watch saw ${seen.length} events (${missed.length} missed, ${duplicates} duplicated, ${outOfOrder} out of order), served by ${[...new Set(servedBy)].join(' then ')}`);
  expect(lost).toEqual([]);
  expect(missed).toEqual([]);
  expect(duplicates).toBe(0);
  expect(outOfOrder).toBe(0);
  expect(seen.every((e) => e.type === 'ADDED')).toBe(true);
  expect(writerClient.server.origin).toBe(survivor.url);

  // The components (pointed at both) go on through the survivor: a scale-down converges.
  await deploymentClient.patch(Resources.deployments, 'ha', 'web', { spec: { replicas: 2 } });
  await waitFor('the Deployment scaled to 2 through the surviving apiserver', async () => (await boundPods(client(survivor.url), 'ha')).length === 2, 60_000);
  // The dead apiserver's Lease is no longer renewed: it drops out of default/kubernetes.
  const s = client(survivor.url);
  const dropped = await waitFor('the dead apiserver to leave default/kubernetes', async () => {
    const ports = await kubernetesEndpointPorts(s);
    return ports.length === 1 && ports[0] === survivor.port ? Date.now() - killedAt : 0;
  }, 30_000, 200);
  report(`default/kubernetes lost the dead apiserver ${dropped} ms after the kill (Lease 3 s, reconciled every 1 s)`);
});
