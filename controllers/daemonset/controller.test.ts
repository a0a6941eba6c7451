// The DaemonSet controller's loop on a fake API with a recording PodControl: no apiserver.
import type { DaemonSet } from 'kubernetes-types/apps/v1';
import { Resources } from '../../lib/api/resources';
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
});
