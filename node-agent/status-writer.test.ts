import type { Pod } from 'kubernetes-types/core/v1';
import type { KubeClient } from '../lib/client/client';
import { StatusWriter } from './status-writer';

// The API answers in kube's field order at every depth: a status equal but for its key order is no change.
test('a status that differs from the API\'s only in key order is not written; a changed field is', async () => {
  const patches: unknown[] = [];
  const client = { patch: async (_rt: unknown, _ns: unknown, _name: unknown, body: unknown) => (patches.push(body), undefined) } as unknown as KubeClient;
  const writer = new StatusWriter(client);
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'ns', uid: 'u' },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 't' }], containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'i', imageID: 'd' }] },
  };
  const reordered = {
    containerStatuses: [{ imageID: 'd', image: 'i', restartCount: 0, ready: true, name: 'c' }],
    conditions: [{ lastTransitionTime: 't', status: 'True', type: 'Ready' }],
    phase: 'Running',
  };
  expect(await writer.writeStatus(pod, reordered)).toBeUndefined();
  expect(patches).toEqual([]);
  await writer.writeStatus(pod, { ...reordered, phase: 'Succeeded' });
  expect(patches).toEqual([{ metadata: { uid: 'u' }, status: { phase: 'Succeeded' } }]);
});

// The API writes unset times held by value as null (lastProbeTime, startedAt): the same status as without them.
test.each([
  ['a condition\'s lastProbeTime null: not written', { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: 't' }] }, { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 't' }] }, false],
  ['a running container\'s startedAt null: not written', { containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'i', imageID: 'd', state: { running: { startedAt: null } } }] }, { containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'i', imageID: 'd', state: { running: {} } }] }, false],
  ['a time set where the API has null: written', { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null }] }, { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: 'now' }] }, true],
  ['a condition gone: written', { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null }] }, { conditions: [] }, true],
] as Array<[string, object, object, boolean]>)('%s', async (_name, stored, built, written) => {
  const patches: unknown[] = [];
  const client = { patch: async (_rt: unknown, _ns: unknown, _name: unknown, body: unknown) => (patches.push(body), undefined) } as unknown as KubeClient;
  const pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u' }, status: stored } as unknown as Pod;
  await new StatusWriter(client).writeStatus(pod, built);
  expect(patches.length).toBe(written ? 1 : 0);
});
