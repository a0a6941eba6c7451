// `rollout status|history|undo` for StatefulSets and DaemonSets on the whole stack (in-process
// apiserver, the StatefulSet and DaemonSet controllers, the scheduler, hollow nodes), driven by both
// kubectls (1.20 and the current one) and by steer's own verbs. kubectl reads the ControllerRevisions
// the controllers keep (label selector = the owner's selector, controlled by the owner) and rolls back
// by sending a revision's data as a strategic merge patch.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ControllerRevision, DaemonSet, StatefulSet } from 'kubernetes-types/apps/v1';
import { Resources } from '../../lib/api/resources';
import { startControllers, RunningControllers } from '../../controllers';
import { HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { RunningScheduler, startScheduler } from '../../scheduler/start';
import { runRolloutHistory, runRolloutStatus, runRolloutUndo } from '../../cli/verbs/rollout';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { waitForWithin } from '../helpers/wait';

const waitFor = waitForWithin(40000);
const ns = 'default';

const kubectls = [
  { name: 'kubectl 1.20', bin: path.resolve(__dirname, '../../tools/kubectl/usr/bin/kubectl') },
  { name: 'current kubectl', bin: '/usr/bin/kubectl' },
].filter((k) => fs.existsSync(k.bin));

describe('rollout status|history|undo for StatefulSets and DaemonSets', () => {
  let srv: TestApiServer;
  let nodes: HollowNodes;
  let scheduler: RunningScheduler;
  let controllers: RunningControllers;
  let home: string;

  beforeAll(async () => {
    srv = await startTestApiServer();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-rollout-rev-'));
    nodes = await startHollowNodes({ client: srv.client, count: 2, namePrefix: 'rev-node-', port: false, leaseRenewIntervalMs: 2000, log: () => undefined });
    scheduler = await startScheduler({ client: srv.client });
    controllers = await startControllers({ client: srv.client, controllers: ['statefulset', 'daemonset', 'garbage-collector'], log: () => undefined });
  }, 60000);

  afterAll(async () => {
    await controllers?.stop();
    await scheduler?.stop();
    await nodes?.stop();
    await srv?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const run = (bin: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(bin, ['--kubeconfig', srv.kubeconfigPath, ...args], { env: { ...process.env, HOME: home, KUBECONFIG: srv.kubeconfigPath }, timeout: 50_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  /** steer's verbs, their output captured. */
  async function steer(fn: (streams: { out: (s: string) => void; err: (s: string) => void }) => Promise<void>): Promise<string> {
    let out = '';
    await fn({ out: (s) => (out += s), err: (s) => (out += s) });
    return out;
  }

  function statefulSet(name: string, image: string): StatefulSet {
    return {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name, namespace: ns },
      spec: {
        replicas: 2,
        serviceName: name,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
      },
    };
  }
  function daemonSet(name: string, image: string): DaemonSet {
    return {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name, namespace: ns },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } } },
    };
  }
  const imageOf = async (r: typeof Resources.statefulsets, name: string) =>
    (await srv.client.get<StatefulSet | DaemonSet>(r, ns, name)).spec?.template.spec?.containers[0].image;
  const revisionsOf = async (app: string) =>
    (await srv.client.list<ControllerRevision>(Resources.controllerrevisions, { namespace: ns, labelSelector: `app=${app}` })).items.map((r) => r.revision).sort();

  for (const k of kubectls) {
    test(`${k.name}: statefulset rollout status, history, undo`, async () => {
      const name = k.name.includes('1.20') ? 'sts-old' : 'sts-new';
      await srv.client.create(Resources.statefulsets, ns, statefulSet(name, 'nginx:1'));
      let r = await run(k.bin, 'rollout', 'status', `statefulset/${name}`, '--timeout=40s');
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('partitioned roll out complete: 2 new pods have been updated...');

      r = await run(k.bin, 'set', 'image', `statefulset/${name}`, 'c=nginx:2');
      expect(r.code).toBe(0);
      r = await run(k.bin, 'rollout', 'status', `sts/${name}`, '--timeout=40s');
      expect(r.stdout).toContain('partitioned roll out complete: 2 new pods have been updated...');
      expect(await revisionsOf(name)).toEqual([1, 2]);

      r = await run(k.bin, 'rollout', 'history', `sts/${name}`);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^statefulset.apps/${name} \\nREVISION\\s+CHANGE-CAUSE\\n1\\s+<none>\\n2\\s+<none>\\n`));
      r = await run(k.bin, 'rollout', 'history', `sts/${name}`, '--revision=1');
      expect(r.stdout).toContain('Image:');
      expect(r.stdout).toContain('nginx:1');

      r = await run(k.bin, 'rollout', 'undo', `sts/${name}`);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`statefulset.apps/${name} rolled back\n`);
      expect(await imageOf(Resources.statefulsets, name)).toBe('nginx:1');
      r = await run(k.bin, 'rollout', 'status', `sts/${name}`, '--timeout=40s');
      expect(r.stdout).toContain('partitioned roll out complete: 2 new pods have been updated...');
      // The old revision is re-numbered, not copied.
      expect(await revisionsOf(name)).toEqual([2, 3]);
      r = await run(k.bin, 'rollout', 'undo', `sts/${name}`, '--to-revision=3');
      expect(r.stdout).toContain('skipped rollback (current template already matches revision 3)');
    });

    test(`${k.name}: daemonset rollout status, history, undo`, async () => {
      const name = k.name.includes('1.20') ? 'ds-old' : 'ds-new';
      await srv.client.create(Resources.daemonsets, ns, daemonSet(name, 'agent:1'));
      let r = await run(k.bin, 'rollout', 'status', `daemonset/${name}`, '--timeout=40s');
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain(`daemon set "${name}" successfully rolled out`);
      r = await run(k.bin, 'set', 'image', `ds/${name}`, 'c=agent:2');
      expect(r.code).toBe(0);
      r = await run(k.bin, 'rollout', 'status', `ds/${name}`, '--timeout=40s');
      expect(r.stdout).toContain(`daemon set "${name}" successfully rolled out`);

      r = await run(k.bin, 'rollout', 'history', `ds/${name}`);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^daemonset.apps/${name} \\nREVISION\\s+CHANGE-CAUSE\\n1\\s+<none>\\n2\\s+<none>\\n`));
      r = await run(k.bin, 'rollout', 'undo', `ds/${name}`);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`daemonset.apps/${name} rolled back\n`);
      expect(await imageOf(Resources.daemonsets, name)).toBe('agent:1');
      r = await run(k.bin, 'rollout', 'status', `ds/${name}`, '--timeout=40s');
      expect(r.stdout).toContain('successfully rolled out');
      expect(await revisionsOf(name)).toEqual([2, 3]);
    });
  }

  test('steer rollout status|history|undo for a StatefulSet and a DaemonSet', async () => {
    await srv.client.create(Resources.statefulsets, ns, statefulSet('sts-steer', 'nginx:1'));
    let out = await steer((s) => runRolloutStatus(srv.client, Resources.statefulsets, ns, 'sts-steer', { timeoutMs: 40000 }, s));
    expect(out).toContain('partitioned roll out complete: 2 new pods have been updated...');
    await srv.client.patch(Resources.statefulsets, ns, 'sts-steer', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } }, 'strategic');
    out = await steer((s) => runRolloutStatus(srv.client, Resources.statefulsets, ns, 'sts-steer', { timeoutMs: 40000 }, s));
    expect(out).toContain('partitioned roll out complete: 2 new pods have been updated...');
    out = await steer((s) => runRolloutHistory(srv.client, Resources.statefulsets, ns, 'sts-steer', 0, s));
    expect(out).toMatch(/^statefulset.apps\/sts-steer \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/);
    out = await steer((s) => runRolloutUndo(srv.client, Resources.statefulsets, ns, 'sts-steer', 0, s));
    expect(out).toBe('statefulset.apps/sts-steer rolled back\n');
    expect(await imageOf(Resources.statefulsets, 'sts-steer')).toBe('nginx:1');
    await waitFor('sts-steer back on nginx:1', async () => {
      const st = (await srv.client.get<StatefulSet>(Resources.statefulsets, ns, 'sts-steer')).status;
      return st?.currentRevision === st?.updateRevision && st?.updatedReplicas === 2;
    });
    out = await steer((s) => runRolloutUndo(srv.client, Resources.statefulsets, ns, 'sts-steer', 3, s));
    expect(out).toBe('statefulset.apps/sts-steer skipped rollback (current template already matches revision 3)\n');
    await expect(runRolloutUndo(srv.client, Resources.statefulsets, ns, 'sts-steer', 9, { out: () => undefined, err: () => undefined })).rejects.toThrow('unable to find specified revision 9 in history');

    await srv.client.create(Resources.daemonsets, ns, daemonSet('ds-steer', 'agent:1'));
    out = await steer((s) => runRolloutStatus(srv.client, Resources.daemonsets, ns, 'ds-steer', { timeoutMs: 40000 }, s));
    expect(out).toContain('daemon set "ds-steer" successfully rolled out');
    await srv.client.patch(Resources.daemonsets, ns, 'ds-steer', { metadata: { annotations: { 'kubernetes.io/change-cause': 'agent 2' } }, spec: { template: { spec: { containers: [{ name: 'c', image: 'agent:2' }] } } } }, 'strategic');
    out = await steer((s) => runRolloutStatus(srv.client, Resources.daemonsets, ns, 'ds-steer', { timeoutMs: 40000 }, s));
    expect(out).toContain('successfully rolled out');
    out = await steer((s) => runRolloutHistory(srv.client, Resources.daemonsets, ns, 'ds-steer', 0, s));
    expect(out).toMatch(/^daemonset.apps\/ds-steer \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+agent 2\n/);
    out = await steer((s) => runRolloutHistory(srv.client, Resources.daemonsets, ns, 'ds-steer', 1, s));
    expect(out).toMatch(/Image:\s+agent:1/);
    out = await steer((s) => runRolloutUndo(srv.client, Resources.daemonsets, ns, 'ds-steer', 1, s));
    expect(out).toBe('daemonset.apps/ds-steer rolled back\n');
    expect(await imageOf(Resources.daemonsets, 'ds-steer')).toBe('agent:1');
  });
});
