import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../lib/api/resources';
import { fakeControllerContext } from '../test/fixtures/controller-context';
import { FakePodControl } from '../test/fixtures/fake-pod-control';
import { waitFor } from '../test/helpers/wait';
import { podFromTemplate, reconcileReplicaSet, ReplicaSetController, statusEqual } from './replicaset';
import { compareDeletionOrder } from './shared/pods';

const NOW = new Date('2026-11-23T12:00:00Z');

function rs(replicas: number, extra: Partial<ReplicaSet['spec']> = {}, meta: Partial<ReplicaSet['metadata']> = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default', uid: 'rs-uid', generation: 3, ...meta },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      ...extra,
    },
  };
}

interface PodOpts {
  owner?: string | null; // uid of the controller; null = orphan
  labels?: Record<string, string>;
  node?: string;
  phase?: string;
  ready?: string; // lastTransitionTime of Ready=True
  created?: string;
  deleting?: boolean;
  restarts?: number;
}
function pod(name: string, o: PodOpts = {}): Pod {
  const owner = o.owner === undefined ? 'rs-uid' : o.owner;
  return {
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: o.labels ?? { app: 'web', tier: 'fe' },
      creationTimestamp: o.created ?? '2026-11-23T11:00:00Z',
      deletionTimestamp: o.deleting ? '2026-11-23T11:59:00Z' : undefined,
      ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: owner, controller: true }] : undefined,
    },
    spec: { nodeName: o.node, containers: [] },
    status: {
      phase: o.phase ?? (o.node ? 'Running' : 'Pending'),
      conditions: o.ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: o.ready }] : [],
      containerStatuses: o.restarts ? [{ name: 'c', image: 'x', imageID: '', ready: true, restartCount: o.restarts }] : undefined,
    },
  };
}

const names = (ps: Pod[]) => ps.map((p) => p.metadata?.name);

describe('reconcileReplicaSet', () => {
  const cases: Array<{ name: string; rs: ReplicaSet; pods: Pod[]; create?: number; del?: string[]; adopt?: string[]; release?: string[] }> = [
    { name: 'creates all replicas from nothing', rs: rs(3), pods: [], create: 3 },
    { name: 'does nothing when counts match', rs: rs(2), pods: [pod('a', { node: 'n' }), pod('b', { node: 'n' })], create: 0, del: [] },
    { name: 'creates the shortfall', rs: rs(3), pods: [pod('a')], create: 2 },
    { name: 'caps creation at the burst', rs: rs(1000), pods: [], create: 500 },
    { name: 'ignores terminating and finished pods when counting', rs: rs(2), pods: [pod('a', { deleting: true }), pod('b', { phase: 'Failed', node: 'n' }), pod('c', { phase: 'Succeeded', node: 'n' })], create: 2 },
    { name: 'ignores pods of other controllers', rs: rs(1), pods: [pod('a', { owner: 'other' })], create: 1, adopt: [] },
    { name: 'adopts a matching orphan instead of creating', rs: rs(1), pods: [pod('a', { owner: null })], create: 0, adopt: ['a'] },
    { name: 'does not adopt a non-matching orphan', rs: rs(1), pods: [pod('a', { owner: null, labels: { app: 'db' } })], create: 1, adopt: [] },
    { name: 'does not adopt a terminating orphan', rs: rs(1), pods: [pod('a', { owner: null, deleting: true })], create: 1, adopt: [] },
    { name: 'releases an owned pod that stopped matching and replaces it', rs: rs(1), pods: [pod('a', { labels: { app: 'debug' } })], create: 1, release: ['a'] },
    {
      name: 'deletes unscheduled before pending before running',
      rs: rs(1),
      pods: [pod('run', { node: 'n', ready: '2026-11-23T11:10:00Z' }), pod('pend', { node: 'n', phase: 'Pending' }), pod('unsched')],
      del: ['unsched', 'pend'],
    },
    {
      name: 'deletes not-ready before ready, then the most recently ready',
      rs: rs(1),
      pods: [pod('old', { node: 'n', ready: '2026-11-23T10:00:00Z' }), pod('new', { node: 'n', ready: '2026-11-23T11:30:00Z' }), pod('notready', { node: 'n' })],
      del: ['notready', 'new'],
    },
    {
      name: 'among equals deletes more restarts, then the newest first',
      rs: rs(1),
      pods: [pod('a', { node: 'n', created: '2026-11-23T10:00:00Z' }), pod('b', { node: 'n', created: '2026-11-23T11:00:00Z' }), pod('c', { node: 'n', created: '2026-11-23T09:00:00Z', restarts: 3 })],
      del: ['c', 'b'],
    },
    { name: 'scales to zero', rs: rs(0), pods: [pod('a', { node: 'n' }), pod('b')], del: ['b', 'a'] },
    { name: 'a deleting ReplicaSet neither creates nor adopts', rs: rs(3, {}, { deletionTimestamp: '2026-11-23T11:00:00Z' }), pods: [pod('x', { owner: null })], create: 0, adopt: [] },
  ];
  it.each(cases)('$name', (c) => {
    const a = reconcileReplicaSet(c.rs, c.pods, NOW);
    if (c.create !== undefined) expect(a.create).toBe(c.create);
    if (c.del !== undefined) expect(names(a.delete)).toEqual(c.del);
    if (c.adopt !== undefined) expect(names(a.adopt)).toEqual(c.adopt);
    if (c.release !== undefined) expect(names(a.release)).toEqual(c.release);
  });

  it('does not create or delete when expectations are pending (manage=false), but still computes status', () => {
    const a = reconcileReplicaSet(rs(5), [pod('a', { node: 'n', ready: '2026-11-23T11:00:00Z' })], NOW, { manage: false });
    expect(a.create).toBe(0);
    expect(a.status.replicas).toBe(1);
  });

  it('computes status: replicas, fullyLabeled, ready, available with minReadySeconds, observedGeneration', () => {
    const pods = [
      pod('a', { node: 'n', ready: '2026-11-23T11:00:00Z' }), // available
      pod('b', { node: 'n', ready: '2026-11-23T11:59:55Z' }), // ready 5 s, needs 10
      pod('c', { node: 'n', labels: { app: 'web' } }), // matches selector, not the full template labels
      pod('d', { deleting: true, node: 'n', ready: '2026-11-23T11:00:00Z' }), // not counted
    ];
    const a = reconcileReplicaSet(rs(3, { minReadySeconds: 10 }), pods, NOW);
    expect(a.status).toEqual({ replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 3 });
    expect(a.requeueAfterMs).toBe(5001);
  });

  it('reports an invalid selector instead of acting', () => {
    const bad = rs(1, { selector: { matchExpressions: [{ key: 'app', operator: 'Bogus', values: ['x'] }] } });
    const a = reconcileReplicaSet(bad, [], NOW);
    expect(a.selectorError).toBeTruthy();
    expect(a.create).toBe(0);
  });
});

describe('helpers', () => {
  it('podFromTemplate uses generateName, template labels and a controller ownerReference', () => {
    const p = podFromTemplate(rs(1));
    expect(p.metadata?.generateName).toBe('web-');
    expect(p.metadata?.name).toBeUndefined();
    expect(p.metadata?.labels).toEqual({ app: 'web', tier: 'fe' });
    expect(p.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }]);
    expect(p.spec?.containers[0].image).toBe('nginx');
  });

  it('compareDeletionOrder is a total order usable by sort', () => {
    const ps = [pod('x', { node: 'n', ready: '2026-11-23T10:00:00Z' }), pod('y')];
    expect(names([...ps].sort(compareDeletionOrder))).toEqual(['y', 'x']);
  });

  it('statusEqual ignores absent-vs-zero differences', () => {
    expect(statusEqual(undefined, { replicas: 0 })).toBe(true);
    expect(statusEqual({ replicas: 1 }, { replicas: 2 })).toBe(false);
  });
});

describe('ReplicaSetController loop (fake API, recording PodControl)', () => {
  // stop() drains the queue: every sync enqueued before it has run when stopped() resolves.
  async function settle(c: ReplicaSetController): Promise<void> {
    c.stop();
    await c.stopped();
  }

  function setup(opts: { pods?: Pod[] } = {}) {
    const { client, ctx } = fakeControllerContext();
    const podControl = new FakePodControl();
    const controller = new ReplicaSetController(ctx, { podControl, workers: 1 });
    for (const p of opts.pods ?? []) client.add(Resources.pods, p);
    return { client, podControl, controller };
  }

  it('a sync creates the missing pods from the template, owned by the ReplicaSet', async () => {
    const { client, podControl, controller } = setup();
    client.add(Resources.replicasets, rs(3));
    await controller.start();
    await settle(controller);
    expect(podControl.created).toHaveLength(3);
    for (const p of podControl.created) {
      expect(p.metadata?.generateName).toBe('web-');
      expect(p.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', uid: 'rs-uid', controller: true });
    }
  });

  it("the sync that created pods leaves the status to the sync their watch events bring, which counts them", async () => {
    const { client, podControl, controller } = setup();
    client.add(Resources.replicasets, rs(3));
    await controller.start();
    await waitFor('the creates', () => podControl.created.length === 3);
    expect(client.writes('patch', Resources.replicasets)).toHaveLength(0);
    for (const p of podControl.created) client.add(Resources.pods, { ...p, metadata: { ...p.metadata, name: `${p.metadata?.generateName}${Math.random().toString(36).slice(2, 7)}` } });
    await waitFor('the status', () => client.writes('patch', Resources.replicasets).length > 0);
    await settle(controller);
    expect(client.writes('patch', Resources.replicasets).map((w) => w.body)).toEqual([{ status: expect.objectContaining({ replicas: 3, fullyLabeledReplicas: 3, observedGeneration: 3 }) }]);
    expect(podControl.created).toHaveLength(3);
  });

  it("without the pods' watch events the status is written by a timed recheck, and nothing is created twice", async () => {
    const { client, podControl, controller } = setup();
    client.add(Resources.replicasets, rs(3));
    await controller.start();
    await waitFor('the creates', () => podControl.created.length === 3);
    await waitFor('the status', () => client.writes('patch', Resources.replicasets).length > 0, 3000);
    await settle(controller);
    expect(client.writes('patch', Resources.replicasets)[0].body).toMatchObject({ status: { replicas: 0, observedGeneration: 3 } });
    expect(podControl.created).toHaveLength(3);
  });

  it('expectations: creates not yet seen in the cache block a second create; once seen, nothing more is created', async () => {
    const { client, podControl, controller } = setup();
    client.add(Resources.replicasets, rs(3));
    await controller.start();
    await waitFor('the first creates', () => podControl.created.length === 3);
    // Another sync before the watch shows the pods (seen done by the observedGeneration it writes) must not create them again.
    await client.patch(Resources.replicasets, 'default', 'web', { metadata: { generation: 4 } });
    await waitFor('the second sync', () => client.stored<ReplicaSet>(Resources.replicasets)[0].status?.observedGeneration === 4);
    expect(podControl.created).toHaveLength(3);
    // The pods show up: expectations are met, and with 3 pods there is nothing to create.
    for (const p of podControl.created) client.add(Resources.pods, { ...p, spec: { ...p.spec!, nodeName: 'n' }, status: { phase: 'Running' } });
    await client.patch(Resources.replicasets, 'default', 'web', { metadata: { annotations: { touched: '2' } } });
    await settle(controller);
    expect(podControl.created).toHaveLength(3);
    expect(podControl.deleted).toHaveLength(0);
  });

  it('expectations: pods not created (a failed batch) are not waited for', async () => {
    const { client, podControl, controller } = setup();
    jest.spyOn(console, 'error').mockImplementation(() => undefined); // the failed syncs are logged
    podControl.createError = new Error('quota exceeded');
    client.add(Resources.replicasets, rs(3));
    await controller.start();
    await waitFor('a ReplicaFailure condition', () =>
      client.stored<ReplicaSet>(Resources.replicasets)[0].status?.conditions?.some((c) => c.type === 'ReplicaFailure' && c.message === 'quota exceeded'),
    );
    podControl.createError = undefined;
    await client.patch(Resources.replicasets, 'default', 'web', { metadata: { annotations: { touched: '1' } } });
    await settle(controller);
    expect(podControl.created).toHaveLength(3);
    jest.restoreAllMocks();
  });

  it('a sync deletes the surplus, least valuable first, and does not delete again before the deletions are seen', async () => {
    const pods = [pod('old', { node: 'n', ready: '2026-11-23T10:00:00Z' }), pod('new', { node: 'n', ready: '2026-11-23T11:30:00Z' }), pod('unsched')];
    const { client, podControl, controller } = setup({ pods });
    client.add(Resources.replicasets, rs(1));
    await controller.start();
    await waitFor('the deletes', () => podControl.deleted.length === 2);
    await client.patch(Resources.replicasets, 'default', 'web', { metadata: { annotations: { touched: '1' } } });
    await settle(controller);
    expect(names(podControl.deleted)).toEqual(['unsched', 'new']);
  });

  it('a failed delete still writes the status, then fails the sync so it is retried', async () => {
    const pods = ['a', 'b', 'c'].map((n) => pod(n, { node: 'n', ready: '2026-11-23T11:00:00Z' }));
    const { client, podControl, controller } = setup({ pods });
    jest.spyOn(console, 'error').mockImplementation(() => undefined); // the failed syncs are logged
    podControl.deleteError = new Error('apiserver unavailable');
    client.add(Resources.replicasets, rs(1));
    await controller.start();
    await waitFor('the status write', () => client.stored<ReplicaSet>(Resources.replicasets)[0].status?.observedGeneration === 3);
    expect(client.stored<ReplicaSet>(Resources.replicasets)[0].status).toMatchObject({ replicas: 3, readyReplicas: 3 });
    expect(podControl.deleted).toHaveLength(0);
    // The retry deletes once the apiserver answers again.
    podControl.deleteError = undefined;
    await waitFor('the retried deletes', () => podControl.deleted.length === 2);
    await settle(controller);
    jest.restoreAllMocks();
  });

  it('adopts a matching orphan through the PodControl, conditional on its resourceVersion', async () => {
    const { client, podControl, controller } = setup({ pods: [pod('orphan', { owner: null, node: 'n' })] });
    client.add(Resources.replicasets, rs(1));
    await controller.start();
    await settle(controller);
    expect(podControl.patched).toHaveLength(1);
    const { pod: adopted, patch } = podControl.patched[0];
    expect(patch.metadata).toEqual({
      uid: 'uid-orphan',
      resourceVersion: adopted.metadata?.resourceVersion,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }],
    });
    expect(podControl.created).toHaveLength(0);
  });

  // The apiserver dies with a create in flight (kill -9 in the chaos harness): the pod may be stored
  // though its answer is lost, and the pod watch is cut. Found by the chaos harness as
  // replicaset-no-extra-create after an apiserver kill.
  const landed = (p: Pod): Pod => ({ ...p, spec: { ...p.spec!, nodeName: 'n' }, status: { phase: 'Running' } });

  it('a create whose answer was lost is not made again while the cache may not show it yet', async () => {
    const { client, podControl, controller } = setup();
    jest.spyOn(console, 'error').mockImplementation(() => undefined); // the failed sync is logged
    podControl.loseAnswers = 1;
    client.hold(Resources.pods);
    client.add(Resources.replicasets, rs(1));
    await controller.start();
    await waitFor('the create', () => podControl.created.length === 1);
    client.add(Resources.pods, landed(podControl.created[0])); // it landed; its watch event is late
    // Another sync (seen done by the observedGeneration it writes) must not create it again.
    await client.patch(Resources.replicasets, 'default', 'web', { metadata: { generation: 4 } });
    await waitFor('the second sync', () => client.stored<ReplicaSet>(Resources.replicasets)[0].status?.observedGeneration === 4);
    expect(podControl.created).toHaveLength(1);
    client.release(Resources.pods);
    await client.patch(Resources.replicasets, 'default', 'web', { metadata: { annotations: { touched: '1' } } });
    await settle(controller);
    expect(podControl.created).toHaveLength(1);
    jest.restoreAllMocks();
  });

  it('a create whose answer was lost and which never landed is made once the cache is past the apiserver revision read after the loss', async () => {
    const { client, podControl, controller } = setup();
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    podControl.loseAnswers = 1;
    client.add(Resources.replicasets, rs(1));
    await controller.start();
    // Nothing landed; any later pod event (or a bookmark) takes the cache past the revision read.
    await waitFor('the create', () => podControl.created.length === 1);
    client.add(Resources.pods, { ...pod('elsewhere', { node: 'n', owner: null, labels: { app: 'other' } }), metadata: { name: 'elsewhere', namespace: 'other', uid: 'uid-elsewhere' } });
    await waitFor('the create made again', () => podControl.created.length === 2);
    await settle(controller);
    expect(podControl.created).toHaveLength(2);
    jest.restoreAllMocks();
  });
});
