// The CSR signer's decisions (planSigning), table-tested without a server: which requests it acts on,
// each well-known signer's rules (kube's ValidateKubeletClientCSR, ValidateKubeletServingCSR and the
// kube-apiserver-client usages) and the duration it signs for.
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1';
import type { CertificateRequestInfo } from '../../lib/component/csr';
import { planSigning, type SigningDecision } from './signing';

const HOUR = 3600_000;

function request(o: Partial<CertificateRequestInfo> = {}): CertificateRequestInfo {
  return { der: Buffer.alloc(0), commonName: 'jane', organizations: [], dnsNames: [], ipAddresses: [], emailAddresses: [], uris: [], publicKeyAlgorithm: 'ECDSA', ...o };
}

function csr(spec: Partial<CertificateSigningRequest['spec']>, conditions: string[] = ['Approved'], certificate?: string): CertificateSigningRequest {
  return {
    metadata: { name: 'x' },
    spec: { request: '', signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], ...spec },
    status: { conditions: conditions.map((type) => ({ type, status: 'True' })), certificate },
  };
}

const node = request({ commonName: 'system:node:n1', organizations: ['system:nodes'] });
const sign = (usages: string[], durationMs = 24 * HOUR): SigningDecision => ({ action: 'sign', usages, durationMs });
const fail = (message: string): SigningDecision => ({ action: 'fail', message });

describe('planSigning', () => {
  test.each<[string, CertificateSigningRequest, CertificateRequestInfo, SigningDecision]>([
    ['pending: nothing', csr({}, []), request(), { action: 'none' }],
    ['denied: nothing', csr({}, ['Denied']), request(), { action: 'none' }],
    ['approved and failed: nothing', csr({}, ['Approved', 'Failed']), request(), { action: 'none' }],
    ['already issued: nothing', csr({}, ['Approved'], 'Y2VydA=='), request(), { action: 'none' }],
    ['another signer: left to it', csr({ signerName: 'example.com/mine' }), request(), { action: 'none' }],
    ['apiserver client: client auth', csr({}), request(), sign(['client auth'])],
    ['apiserver client: with digital signature and key encipherment', csr({ usages: ['digital signature', 'key encipherment', 'client auth'] }), request(), sign(['digital signature', 'key encipherment', 'client auth'])],
    ['apiserver client: a server usage', csr({ usages: ['client auth', 'server auth'] }), request(), fail('invalid usage for client certificate: server auth')],
    ['apiserver client: no client auth', csr({ usages: ['digital signature'] }), request(), fail('missing required usage for client certificate: client auth')],
    ['apiserver client: 2 h asked', csr({ expirationSeconds: 7200 }), request(), sign(['client auth'], 2 * HOUR)],
    ['apiserver client: more than the cluster gives', csr({ expirationSeconds: 7 * 24 * 3600 }), request(), sign(['client auth'], 24 * HOUR)],
    ['kubelet client: a node', csr({ signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] }), node, sign(['digital signature', 'client auth'])],
    ['kubelet client: RSA usages', csr({ signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['key encipherment', 'digital signature', 'client auth'] }), node, sign(['key encipherment', 'digital signature', 'client auth'])],
    ['kubelet client: not system:nodes', csr({ signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] }), request({ commonName: 'system:node:n1', organizations: ['dev'] }), fail('subject organization is not system:nodes')],
    ['kubelet client: a DNS name', csr({ signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] }), { ...node, dnsNames: ['n1'] }, fail('dnsNames are forbidden')],
    ['kubelet client: not a node name', csr({ signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] }), { ...node, commonName: 'jane' }, fail('subject common name does not begin with system:node:')],
    ['kubelet client: server auth', csr({ signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'server auth'] }), node, fail('usages did not match [client auth digital signature key encipherment]')],
    ['kubelet serving: names and server auth', csr({ signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] }), { ...node, ipAddresses: ['10.0.0.1'] }, sign(['digital signature', 'server auth'])],
    ['kubelet serving: no name', csr({ signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] }), node, fail('DNS or IP subjectAltName is required')],
    ['kubelet serving: an e-mail', csr({ signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] }), { ...node, dnsNames: ['n1'], emailAddresses: ['a@b'] }, fail('Email subjectAltNames are forbidden')],
    ['kubelet serving: client auth', csr({ signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'client auth'] }), { ...node, dnsNames: ['n1'] }, fail('usages did not match [digital signature key encipherment server auth]')],
  ])('%s', (_name, c, req, want) => {
    expect(planSigning(c, req, 24 * HOUR)).toEqual(want);
  });

  test('10 minutes at least, a year by default', () => {
    expect(planSigning(csr({ expirationSeconds: 60 }), request())).toEqual(sign(['client auth'], 600_000));
    expect(planSigning(csr({}), request())).toEqual(sign(['client auth'], 365 * 24 * HOUR));
  });
});
