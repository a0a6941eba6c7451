// The Deployment controller's loop on a fake API (no apiserver): what it does while its cache lags
// behind its own writes.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import { isConflict, KubeObject } from '../../lib/client/client';
import type { ResourceType } from '../../lib/api/resources';
import { Resources } from '../../lib/api/resources';
import { fakeControllerContext } from '../../test/fixtures/controller-context';
import { sleep, waitFor } from '../../test/helpers/wait';
import { DeploymentController } from './controller';

function deployment(replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
  };
}

describe('DeploymentController loop (fake API)', () => {
  it('a sync from a cache that does not show its own status write yet waits for it instead of writing from the stale version', async () => {
    const { client, ctx } = fakeControllerContext();
    const controller = new DeploymentController(ctx, { workers: 1 });
    // Status writes the API refused for a stale resourceVersion.
    const conflicts: string[] = [];
    const update = client.update.bind(client);
    jest.spyOn(client, 'update').mockImplementation(async <T extends KubeObject>(r: ResourceType, obj: T, subresource?: string) => {
      try {
        return await update(r, obj, subresource);
      } catch (e) {
        if (isConflict(e)) conflicts.push(`${r.resource}/${subresource ?? ''}`);
        throw e;
      }
    });
    client.add(Resources.deployments, deployment(2));
    // The Deployment watch is slow from the start: the controller's own writes stay out of its cache.
    client.hold(Resources.deployments);
    await controller.start();
    const rsName = (await waitFor('the new ReplicaSet', () => client.stored<ReplicaSet>(Resources.replicasets)[0]))?.metadata?.name ?? '';
    await waitFor('the first status write', () => client.stored<Deployment>(Resources.deployments)[0].status?.observedGeneration === 1);
    const statusWrites = () => client.writes('update', Resources.deployments).filter((w) => w.subresource === 'status').length;
    const annotationPatches = () => client.writes('patch', Resources.deployments).length;
    // (A sync from the stale cache would patch the revision annotations again and write the same status.)
    expect([statusWrites(), annotationPatches()]).toEqual([1, 1]);

    // The ReplicaSet reports its pods, which wakes syncs of a Deployment the cache shows without that status.
    await client.patch(Resources.replicasets, 'default', rsName, { status: { replicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 } }, 'merge', 'status');
    await sleep(150);
    expect(conflicts).toEqual([]);
    expect([statusWrites(), annotationPatches()]).toEqual([1, 1]);

    // The cache catches up: the status is written once, from the current version.
    client.release(Resources.deployments);
    await waitFor('the status from the ReplicaSet', () => client.stored<Deployment>(Resources.deployments)[0].status?.availableReplicas === 2);
    controller.stop();
    await controller.stopped();
    expect(conflicts).toEqual([]);
    jest.restoreAllMocks();
  });
});
