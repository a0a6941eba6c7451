import { Resources, type ResourceType } from '../../../lib/api/resources';
import type { KObj } from '../../storage/types';
import type { AdmissionAttributes } from '../types';
import { nodeRestrictionPlugin } from './restriction';

const node1 = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const pods: Record<string, KObj> = {
  'ns/mine': { metadata: { name: 'mine', namespace: 'ns', uid: 'u-mine' }, spec: { nodeName: 'n1' } },
  'ns/theirs': { metadata: { name: 'theirs', namespace: 'ns', uid: 'u-theirs' }, spec: { nodeName: 'n2' } },
};
const plugin = nodeRestrictionPlugin({ getPod: async (ns, name) => pods[`${ns}/${name}`] });

function attrs(rt: ResourceType, o: Partial<AdmissionAttributes>): AdmissionAttributes {
  return { operation: 'CREATE', rt, subresource: '', namespace: 'ns', name: '', user: node1, dryRun: false, warnings: [], auditAnnotations: {}, ...o };
}
const tokenRequest = (ref: object | undefined): AdmissionAttributes =>
  attrs(Resources.serviceaccounts, { subresource: 'token', name: 'default', object: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {}, spec: { audiences: ['api'], ...(ref ? { boundObjectRef: ref } : {}) } } });

const refusal = async (a: AdmissionAttributes): Promise<string | undefined> => {
  try {
    await plugin.validate!(a);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
};

describe('NodeRestriction', () => {
  it('lets a node request tokens only bound to its own pods', async () => {
    expect(await refusal(tokenRequest({ apiVersion: 'v1', kind: 'Pod', name: 'mine', uid: 'u-mine' }))).toBeUndefined();
    expect(await refusal(tokenRequest(undefined))).toBe('serviceaccounts "default" is forbidden: node requested token not bound to a pod');
    expect(await refusal(tokenRequest({ apiVersion: 'v1', kind: 'Pod', name: 'mine' }))).toBe('serviceaccounts "default" is forbidden: node requested token with a pod binding without a uid');
    expect(await refusal(tokenRequest({ apiVersion: 'v1', kind: 'Pod', name: 'mine', uid: 'old' }))).toBe(
      'serviceaccounts "default" is forbidden: the UID in the bound object reference (old) does not match the UID in record. The object might have been deleted and then recreated',
    );
    expect(await refusal(tokenRequest({ apiVersion: 'v1', kind: 'Pod', name: 'theirs', uid: 'u-theirs' }))).toBe('serviceaccounts "default" is forbidden: node requested token bound to a pod scheduled on a different node');
    expect(await refusal(tokenRequest({ apiVersion: 'v1', kind: 'Pod', name: 'gone', uid: 'x' }))).toBe('pods "gone" not found');
  });

  it('leaves other users alone and refuses a node it cannot name', async () => {
    expect(await refusal({ ...attrs(Resources.pods, { operation: 'DELETE', oldObject: pods['ns/theirs'], name: 'theirs' }), user: { name: 'admin', groups: [] } })).toBeUndefined();
    expect(await refusal({ ...attrs(Resources.pods, { operation: 'DELETE', oldObject: pods['ns/mine'], name: 'mine' }), user: { name: 'system:node:', groups: ['system:nodes'] } })).toBe(
      'pods "mine" is forbidden: could not determine node from user "system:node:"',
    );
  });

  it('refuses pod subresources other than status and eviction', async () => {
    expect(await refusal(attrs(Resources.pods, { subresource: 'binding', name: 'mine', object: pods['ns/mine'] }))).toBe(`pods "mine" is forbidden: unexpected pod subresource "binding", only 'status' and 'eviction' are allowed`);
    const eviction = (name: string): KObj => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'ns' } });
    expect(await refusal(attrs(Resources.pods, { subresource: 'eviction', name: 'theirs', object: eviction('theirs') }))).toBe('pods "theirs" is forbidden: node n1 can only evict pods with spec.nodeName set to itself');
    expect(await refusal(attrs(Resources.pods, { subresource: 'eviction', name: 'mine', object: eviction('mine') }))).toBeUndefined();
  });
});
