import type { Pod } from 'kubernetes-types/core/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { blockingDependents, decideDependent, OwnerState } from './garbage-collector';

const ref = (uid: string, block = false): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid, blockOwnerDeletion: block });

describe('decideDependent', () => {
  const cases: Array<[string, OwnerReference[], Record<string, OwnerState>, ReturnType<typeof decideDependent>]> = [
    ['no owners: nothing to do', [], {}, {}],
    ['owner present: keep', [ref('a')], { a: 'present' }, {}],
    ['only owner gone: delete in the background', [ref('a')], { a: 'absent' }, { delete: 'Background' }],
    ['all owners gone: delete', [ref('a'), ref('b')], { a: 'absent', b: 'absent' }, { delete: 'Background' }],
    ['one of two owners gone: drop the dangling reference', [ref('a'), ref('b')], { a: 'absent', b: 'present' }, { removeRefs: ['a'] }],
    ['owner deleted in the foreground: delete in the foreground', [ref('a')], { a: 'deleting-foreground' }, { delete: 'Foreground' }],
    ['foreground wins over a live co-owner', [ref('a'), ref('b')], { a: 'deleting-foreground', b: 'present' }, { delete: 'Foreground' }],
    ['unknown owner state counts as present', [ref('a')], {}, {}],
  ];
  it.each(cases)('%s', (_name, refs, states, want) => {
    expect(decideDependent(refs, new Map(Object.entries(states)))).toEqual(want);
  });
});

describe('blockingDependents', () => {
  it('counts only dependents whose reference to this owner blocks deletion', () => {
    const pods: Pod[] = [
      { metadata: { name: 'a', ownerReferences: [ref('o', true)] } },
      { metadata: { name: 'b', ownerReferences: [ref('o', false)] } },
      { metadata: { name: 'c', ownerReferences: [ref('other', true)] } },
    ];
    expect(blockingDependents('o', pods).map((p) => p.metadata?.name)).toEqual(['a']);
  });
});
