import { decodeProtobuf } from './protobuf';

// Bodies kubectl 1.32 sent (captured from `kubectl auth can-i list pods`, `auth can-i --list` and
// `create rolebinding x --clusterrole=view --user=bob --serviceaccount=default:ci`).
const ssar = '6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a656374416363657373526576696577123d0a100a0012001a0022002a00320038004200121f0a1d0a0764656661756c7412046c6973741a0022002a04706f647332003a001a08080012001a0020001a002200';
const ssrr = '6b3873000a310a17617574686f72697a6174696f6e2e6b38732e696f2f7631121653656c665375626a65637452756c657352657669657712230a100a0012001a0022002a0032003800420012090a0764656661756c741a04180022001a002200';
const rb =
  '6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b526f6c6542696e64696e67128e010a110a017812001a0022002a0032003800420012280a04557365721219726261632e617574686f72697a6174696f6e2e6b38732e696f1a03626f622200121f0a0e536572766963654163636f756e7412001a026369220764656661756c741a2e0a19726261632e617574686f72697a6174696f6e2e6b38732e696f120b436c7573746572526f6c651a04766965771a002200';

describe('protobuf request bodies', () => {
  it('decodes what kubectl auth can-i sends', () => {
    expect(decodeProtobuf(Buffer.from(ssar, 'hex'))).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: { resourceAttributes: { namespace: 'default', verb: 'list', resource: 'pods' } },
      status: {},
    });
    expect(decodeProtobuf(Buffer.from(ssrr, 'hex'))).toEqual({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', metadata: {}, spec: { namespace: 'default' } });
  });

  it('decodes what kubectl create rolebinding sends', () => {
    expect(decodeProtobuf(Buffer.from(rb, 'hex'))).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'x' },
      subjects: [
        { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' },
        { kind: 'ServiceAccount', name: 'ci', namespace: 'default' },
      ],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    });
  });

  it('decodes what kubectl create token and kubectl auth whoami send', () => {
    // `kubectl create token default --duration=1h --audience=a1 --bound-object-kind=Pod --bound-object-name=p`
    const tr = '6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e5265717565737412310a100a0012001a0022002a0032003800420012170a0261311a0e0a03506f64120276311a0170220020901c1a040a0012001a002200';
    expect(decodeProtobuf(Buffer.from(tr, 'hex'))).toEqual({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: {},
      spec: { audiences: ['a1'], boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p' }, expirationSeconds: 3600 },
    });
    const ssr = '6b3873000a2d0a1861757468656e7469636174696f6e2e6b38732e696f2f7631121153656c665375626a656374526576696577121a0a100a0012001a0022002a0032003800420012060a040a0012001a002200';
    expect(decodeProtobuf(Buffer.from(ssr, 'hex'))).toEqual({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {} });
  });

  it('refuses kinds it has no table for, and what is not protobuf', () => {
    // A v1 Namespace: typeMeta {apiVersion: "v1", kind: "Namespace"}, raw empty.
    const ns = Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from('0a0f0a02763112094e616d65737061636512', 'hex'), Buffer.from([0])]);
    expect(() => decodeProtobuf(ns)).toThrow(expect.objectContaining({ code: 415 }));
    expect(() => decodeProtobuf(Buffer.from('{"kind":"x"}'))).toThrow(expect.objectContaining({ code: 400 }));
    expect(() => decodeProtobuf(Buffer.from(ssar, 'hex').subarray(0, 40))).toThrow(expect.objectContaining({ code: 400 }));
  });
});
