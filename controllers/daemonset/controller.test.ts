// The DaemonSet controller's loop on a fake API with a recording PodControl: no apiserver.
import type { DaemonSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { Resources, ResourceType } from '../../lib/api/resources';
import { fakeControllerContext } from '../../test/fixtures/controller-context';
import { daemonSet, node } from '../../test/fixtures/daemonsets';
import { FakePodControl } from '../../test/fixtures/fake-pod-control';
import { waitFor } from '../../test/helpers/wait';
import { DaemonSetController } from './controller';

describe('DaemonSetController loop (fake API, recording PodControl)', () => {
  it('creates one bound pod per node, and not again while those creates are unobserved', async () => {
    const { client, ctx } = fakeControllerContext();
    const podControl = new FakePodControl();
    const controller = new DaemonSetController(ctx, { podControl, workers: 1 });
    client.add(Resources.nodes, node('n1'));
    client.add(Resources.nodes, node('n2'));
    client.add<DaemonSet>(Resources.daemonsets, daemonSet());
    await controller.start();
    await waitFor('the creates', () => podControl.created.length === 2);
    // A sync before the watch shows the pods (seen done by the observedGeneration it writes).
    await client.patch(Resources.daemonsets, 'default', 'agent', { metadata: { generation: 3 } });
    await waitFor('the second sync', () => client.stored<DaemonSet>(Resources.daemonsets)[0].status?.observedGeneration === 3);
    controller.stop();
    await controller.stopped();
    expect(podControl.created.map((p) => p.spec?.nodeName).sort()).toEqual(['n1', 'n2']);
    expect(podControl.created[0].metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', uid: 'uid-agent', controller: true });
  });

  // Found by the chaos harness (issue 22): two pods on one node, of two templates, created within a
  // second. A template change makes the sync write a ControllerRevision before it plans; the pod an
  // earlier sync created showed up in the cache during that write, which satisfied the expectations
  // — but the sync planned from the pods it had read before the write, without that pod, and created
  // a second one. Expectations must be read before the cache (as Kubernetes' syncDaemonSet does).
  it('never creates a second pod on a node when its first pod shows up while the sync writes a revision', async () => {
    const { client, ctx } = fakeControllerContext();
    const podControl = new FakePodControl();
    const controller = new DaemonSetController(ctx, { podControl, workers: 1 });
    client.add(Resources.nodes, node('n1'));
    client.add<DaemonSet>(Resources.daemonsets, daemonSet({ image: 'agent:1' }));
    await controller.start();
    await waitFor('the first create', () => podControl.created.length === 1);
    const first = podControl.created[0];
    // The next revision write lets the watch deliver the first pod meanwhile.
    let deliver: (() => void) | undefined = () => client.add<Pod>(Resources.pods, { ...first, metadata: { ...first.metadata, uid: undefined, resourceVersion: undefined } });
    const create = client.create.bind(client);
    client.create = (<T>(r: ResourceType, namespace: string | undefined, obj: T): Promise<T> => {
      if (r === Resources.controllerrevisions && deliver) {
        const d = deliver;
        deliver = undefined;
        d();
      }
      return create(r, namespace, obj);
    }) as typeof client.create;
    const updated = daemonSet({ image: 'agent:2' });
    await client.patch(Resources.daemonsets, 'default', 'agent', { metadata: { generation: 3 }, spec: updated.spec });
    await waitFor('the first pod in the cache', () => deliver === undefined);
    await waitFor('a sync of the new template', () => client.stored<DaemonSet>(Resources.daemonsets)[0].status?.observedGeneration === 3);
    // Later syncs see the first pod: the rolling update replaces it (deleted, not doubled).
    await waitFor('a second create or the old pod deleted', () => podControl.created.length > 1 || podControl.deleted.length > 0);
    controller.stop();
    await controller.stopped();
    expect(podControl.created.map((p) => `${p.metadata?.name}@${p.spec?.nodeName}`)).toEqual([`${first.metadata?.name}@n1`]);
    expect(podControl.deleted.map((p) => p.metadata?.name)).toEqual([first.metadata?.name]);
  });
});

