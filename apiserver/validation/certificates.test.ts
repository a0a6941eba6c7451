// CertificateSigningRequest validation's update rules (kube's ValidateCertificateSigningRequest*Update):
// which write may add, change or remove which condition, and set the certificate.
import type { CertificateSigningRequest, CertificateSigningRequestCondition } from 'kubernetes-types/certificates/v1';
import { opensslCertificateBase64, opensslRequestBase64 } from '../../test/fixtures/certificates';
import { validateCertificateSigningRequest, validateSignerName } from './certificates';

const request = opensslRequestBase64('/CN=x');
const certificate = opensslCertificateBase64();

const cond = (type: string, status = 'True'): CertificateSigningRequestCondition => ({ type, status });
function csr(conditions: CertificateSigningRequestCondition[] = [], cert?: string): CertificateSigningRequest {
  return { metadata: { name: 'x' }, spec: { request, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] }, status: { conditions, certificate: cert } };
}
const messages = (next: CertificateSigningRequest, old: CertificateSigningRequest | undefined, sub?: string) => validateCertificateSigningRequest(next, old, sub).map((c) => `${c.field}: ${c.message}`);

describe('CertificateSigningRequest updates', () => {
  test.each<[string, CertificateSigningRequest, CertificateSigningRequest, string | undefined, string[]]>([
    ['approval adds Approved', csr([cond('Approved')]), csr(), 'approval', []],
    ['approval adds Denied', csr([cond('Denied')]), csr(), 'approval', []],
    ['the object cannot add Approved', csr([cond('Approved')]), csr(), undefined, ['status.conditions: Forbidden: updates may not add a condition of type "Approved"']],
    ['status cannot add Denied', csr([cond('Denied')]), csr(), 'status', ['status.conditions: Forbidden: updates may not add a condition of type "Denied"']],
    ['status cannot change Approved', csr([{ ...cond('Approved'), reason: 'Other' }]), csr([cond('Approved')]), 'status', ['status.conditions: Forbidden: updates may not modify a condition of type "Approved"']],
    ['status adds Failed', csr([cond('Approved'), cond('Failed')]), csr([cond('Approved')]), 'status', []],
    ['nobody removes Failed', csr([cond('Approved')]), csr([cond('Approved'), cond('Failed')]), 'approval', ['status.conditions: Forbidden: updates may not remove a condition of type "Failed"']],
    ['Approved with status False', csr([cond('Approved', 'False')]), csr(), 'approval', ['status.conditions[0].status: Unsupported value: "False": supported values: "True"']],
    ['a condition twice', csr([cond('Approved'), cond('Approved')]), csr(), 'approval', ['status.conditions[1].type: Duplicate value: "Approved"']],
    ['another condition, any status', csr([cond('Checked', 'Unknown')]), csr(), 'status', []],
    ['status sets the certificate', csr([cond('Approved')], certificate), csr([cond('Approved')]), 'status', []],
    ['the object cannot set it', csr([cond('Approved')], certificate), csr([cond('Approved')]), undefined, ['status.certificate: Forbidden: updates may not set certificate content']],
    ['status cannot replace it', csr([cond('Approved')], certificate), csr([cond('Approved')], Buffer.from('other').toString('base64')), 'status', ['status.certificate: Forbidden: updates may not modify existing certificate content']],
    ['both Approved and Denied stored before: tolerated', csr([cond('Approved'), cond('Denied')]), csr([cond('Approved'), cond('Denied')]), 'approval', []],
  ])('%s', (_name, next, old, sub, want) => {
    expect(messages(next, old, sub)).toEqual(want);
  });

  test.each([
    ['example.com/signer', []],
    ['example.com/ns.name', []],
    ['Example.com/x', ['spec.signerName: Invalid value: "Example.com": validating label "Example": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')']],
    ['example/x', ['spec.signerName: Invalid value: "example": should be a domain with at least two segments separated by dots']],
    ['a.b/c/d', ["spec.signerName: Invalid value: \"a.b/c/d\": must be a fully qualified domain and path of the form 'example.com/signer-name'"]],
  ])('signerName %s', (name, want) => {
    expect(validateSignerName('spec.signerName', name).map((c) => `${c.field}: ${c.message}`)).toEqual(want);
  });
});
